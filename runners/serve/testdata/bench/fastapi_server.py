#!/usr/bin/python3
"""The classic model-serving wrapper the benchmark compares ferry serve with:
FastAPI + uvicorn + the scikit-learn model (gbt.pkl from train_gbt.py).

  /usr/bin/python3 fastapi_server.py MODEL.pkl PORT [WORKERS]
"""
import os
import pickle
import sys

import numpy as np
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

if __name__ == "__main__":
    # uvicorn's workers import this module again; they find the model here.
    os.environ["FERRY_BENCH_MODEL"] = os.path.abspath(sys.argv[1])
MODEL_PATH = os.environ.get("FERRY_BENCH_MODEL", "gbt.pkl")
with open(MODEL_PATH, "rb") as f:
    model = pickle.load(f)

app = FastAPI()


class Flight(BaseModel):
    distance: float
    hour: float
    weekday: float
    month: float


@app.get("/health")
def health():
    return {"ok": True}


@app.post("/predict")
def predict(flight: Flight):
    x = np.array([[flight.distance, flight.hour, flight.weekday, flight.month]], dtype=np.float32)
    p = model.predict_proba(x)[0]
    return {"label": int(p[1] >= 0.5), "probability": float(p[1])}


if __name__ == "__main__":
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    uvicorn.run("fastapi_server:app", host="127.0.0.1", port=int(sys.argv[2]),
                workers=workers, log_level="warning", access_log=False)
