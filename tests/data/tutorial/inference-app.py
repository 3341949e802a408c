import io
import os
import tempfile
import urllib.request

import numpy as np
import onnxruntime as ort
import uvicorn
from fastapi import FastAPI, File, UploadFile
from PIL import Image

MODEL_URL = "https://github.com/onnx/models/raw/main/vision/classification/resnet/model/resnet50-v2-7.onnx"
MODEL_PATH = os.environ.get("MODEL_PATH", "/models/resnet50.onnx")

app = FastAPI(title="Sugarkube Edge AI Demo")


def ensure_model():
    if not os.path.exists(MODEL_PATH):
        os.makedirs(os.path.dirname(MODEL_PATH), exist_ok=True)
        with tempfile.NamedTemporaryFile(delete=False) as tmp:
            urllib.request.urlretrieve(MODEL_URL, tmp.name)
            os.replace(tmp.name, MODEL_PATH)


def prepare_image(data: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(data)).convert("RGB").resize((224, 224))
    arr = np.array(img).astype("float32")
    arr = np.transpose(arr, (2, 0, 1))
    arr = np.expand_dims(arr, axis=0) / 255.0
    return arr


@app.on_event("startup")
def load_model():
    ensure_model()
    app.session = ort.InferenceSession(MODEL_PATH, providers=["CPUExecutionProvider"])


@app.post("/infer")
async def infer(image: UploadFile = File(...)):
    data = await image.read()
    tensor = prepare_image(data)
    outputs = app.session.run(None, {app.session.get_inputs()[0].name: tensor})
    scores = outputs[0][0]
    top_idx = int(np.argmax(scores))
    confidence = float(scores[top_idx])
    return {"class_index": top_idx, "confidence": confidence}


if __name__ == "__main__":
    ensure_model()
    uvicorn.run(app, host="0.0.0.0", port=9000)
