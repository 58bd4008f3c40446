"""The command-line programs: installed as console commands (`artwork-train`,
`artwork-compare`, `artwork-collect`, `artwork-compare-estimators`, `artwork-calibrate`,
`artwork-demo`) and run by the thin wrappers of `scripts/` (`python scripts/train.py`)."""
