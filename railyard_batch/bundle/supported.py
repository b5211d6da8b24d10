"""The list of pipeline steps a bundle can hold (kept apart so error messages can name it)."""

from __future__ import annotations

SUPPORTED_STEPS: list[str] = [
    "Pipeline",
    "ColumnTransformer",
    "SimpleImputer",
    "StandardScaler",
    "MinMaxScaler",
    "OneHotEncoder",
    "OrdinalEncoder",
    "FunctionTransformer (identity only, i.e. 'passthrough')",
    "LogisticRegression",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "HistGradientBoostingClassifier (binary)",
    "HistGradientBoostingRegressor (squared_error)",
    "XGBClassifier (binary:logistic)",
    "XGBRegressor (reg:squarederror)",
]
