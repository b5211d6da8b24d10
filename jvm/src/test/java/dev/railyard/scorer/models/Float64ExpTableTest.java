package dev.railyard.scorer.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.MathContext;
import org.junit.jupiter.api.Test;

/** Float64Exp's table constants are 2^(i/128) rounded to a double plus the rounding's tail. */
class Float64ExpTableTest {
    @Test
    void tableIsTwoToTheIOver128WithItsTail() {
        MathContext mc = new MathContext(50);
        BigDecimal step = BigDecimal.valueOf(2);
        for (int halvings = 0; halvings < 7; halvings++) {
            step = step.sqrt(mc); // 2^(1/128)
        }
        BigDecimal y = BigDecimal.ONE; // 2^(i/128) to ~47 digits
        for (int i = 0; i < 128; i++) {
            double h = y.doubleValue(); // correctly rounded
            BigDecimal hd = new BigDecimal(h);
            double tail = y.subtract(hd, mc).divide(hd, mc).doubleValue();
            assertEquals(h, Float64Exp.H[i], "H[" + i + "]");
            assertEquals(tail, Float64Exp.TAIL[i], "TAIL[" + i + "]");
            y = y.multiply(step, mc);
        }
        assertEquals(2.0, y.doubleValue());
    }
}
