#!/usr/bin/env python3
"""Train the product-photo category model on Fashion-MNIST and export it for Tandem.

Writes model.onnx, manifest.json and golden.json to public/models/product-photo/.
Run from the repository root:

    /usr/bin/python3 training/product-photo/train.py

The reference outputs come from onnxruntime-node (run-onnx.mjs beside this file), so
`npm install` must have run first. Training is CPU-only, seeded and single-process.
"""

import argparse
import gzip
import hashlib
import json
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
DEFAULT_OUT_DIR = REPO_ROOT / "public" / "models" / "product-photo"
RUN_ONNX_SCRIPT = Path(__file__).resolve().parent / "run-onnx.mjs"

LABELS = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
IMAGE_SIZE = 28
OPSET = 17
# Ops with a kernel in onnxruntime-web's WebGPU execution provider (js/web/docs/webgpu-operators.md
# in the onnxruntime repository) and in its WASM build of the CPU provider. onnxruntime turns
# Constant nodes into initializers when it loads the graph.
ALLOWED_OPS = {
    "Constant", "Conv", "Relu", "MaxPool", "Gemm", "MatMul", "Add", "BatchNormalization",
    "Flatten", "Reshape", "GlobalAveragePool", "ReduceL2", "Div",
}
# HF `rescale_factor`: 1/255 as the float64 that JSON stores and JavaScript reads back.
RESCALE_FACTOR = 1 / 255
GOLDEN_INDICES = list(range(32))
GOLDEN_TOLERANCE = 1e-4
EMBEDDING_EPSILON = 1e-12
ONNX_BATCH_SIZE = 500


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="folder with the four Fashion-MNIST IDX .gz files")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR,
                        help="folder that receives model.onnx, manifest.json and golden.json")
    parser.add_argument("--epochs", type=int, default=7, help="training epochs")
    parser.add_argument("--batch-size", type=int, default=128, help="training batch size")
    parser.add_argument("--seed", type=int, default=0, help="seed for torch and numpy")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    return parser.parse_args()


def read_idx(path, expected_magic):
    """Read an IDX file (big-endian header, then unsigned bytes) into a uint8 array."""
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic != expected_magic:
        raise ValueError(f"{path}: IDX magic number is {magic}, expected {expected_magic}")
    dimension_count = magic & 0xFF
    shape = struct.unpack(f">{dimension_count}I", data[4:4 + 4 * dimension_count])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimension_count).reshape(shape)


def load_split(data_dir, prefix):
    if not data_dir.is_dir():
        raise FileNotFoundError(
            f"data folder {data_dir} not found: install the Debian package dataset-fashion-mnist "
            "or pass --data-dir"
        )
    images = read_idx(data_dir / f"{prefix}-images-idx3-ubyte.gz", 2051)
    labels = read_idx(data_dir / f"{prefix}-labels-idx1-ubyte.gz", 2049)
    if len(images) != len(labels):
        raise ValueError(f"{prefix}: {len(images)} images but {len(labels)} labels")
    return images, labels


def to_model_input(images, mean, std):
    """Rescale and normalise uint8 images to the float32 [N, 1, 28, 28] model input.

    The arithmetic runs in float64 and rounds to float32 once, which is what the app's
    TypeScript preprocessing does, so both produce the same bits for the same pixel.
    """
    scaled = images.astype(np.float64) * RESCALE_FACTOR
    return ((scaled - mean) / std).astype(np.float32)[:, None, :, :]


def conv_block(in_channels, out_channels):
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
        nn.MaxPool2d(2),
    ]


class ProductPhotoNet(nn.Module):
    """Three conv blocks (28 -> 14 -> 7 -> 3 pixels), a 128-unit hidden layer and a linear head."""

    def __init__(self, class_count=10, embedding_size=128):
        super().__init__()
        self.features = nn.Sequential(
            *conv_block(1, 32), *conv_block(32, 64), *conv_block(64, 96),
            nn.Flatten(),
        )
        self.hidden = nn.Sequential(
            nn.Dropout(0.3), nn.Linear(96 * 3 * 3, embedding_size), nn.ReLU(),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(embedding_size, class_count))

    def forward(self, pixels):
        hidden = self.hidden(self.features(pixels))
        logits = self.classifier(hidden)
        # The epsilon keeps an all-zero ReLU output finite instead of 0/0.
        norm = torch.norm(hidden, p=2, dim=1, keepdim=True)
        embedding = hidden / (norm + EMBEDDING_EPSILON)
        return logits, embedding


def train(model, inputs, labels, args):
    generator = torch.Generator().manual_seed(args.seed)
    inputs = torch.from_numpy(inputs)
    labels = torch.from_numpy(labels.astype(np.int64))
    steps_per_epoch = (len(inputs) + args.batch_size - 1) // args.batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=3e-3, epochs=args.epochs, steps_per_epoch=steps_per_epoch,
    )
    loss_function = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        model.train()
        started = time.time()
        order = torch.randperm(len(inputs), generator=generator)
        total_loss = 0.0
        for start in range(0, len(inputs), args.batch_size):
            batch = order[start:start + args.batch_size]
            x = inputs[batch]
            # Augmentation: mirror half of the batch left to right. Garments and shoes keep
            # their category when mirrored.
            flip = torch.rand(len(batch), generator=generator) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            optimizer.zero_grad()
            logits, _ = model(x)
            loss = loss_function(logits, labels[batch])
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(batch)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total_loss / len(inputs):.4f}, "
              f"{time.time() - started:.0f} s", flush=True)


@torch.no_grad()
def predict_torch(model, inputs):
    model.eval()
    logits, embeddings = [], []
    for start in range(0, len(inputs), ONNX_BATCH_SIZE):
        batch_logits, batch_embeddings = model(torch.from_numpy(inputs[start:start + ONNX_BATCH_SIZE]))
        logits.append(batch_logits.numpy())
        embeddings.append(batch_embeddings.numpy())
    return np.concatenate(logits), np.concatenate(embeddings)


def export_onnx(model, path):
    model.eval()
    example = torch.zeros(1, 1, IMAGE_SIZE, IMAGE_SIZE)
    torch.onnx.export(
        model, example, str(path),
        input_names=["pixels"], output_names=["logits", "embedding"],
        dynamic_axes={"pixels": {0: "N"}, "logits": {0: "N"}, "embedding": {0: "N"}},
        opset_version=OPSET, do_constant_folding=True,
    )
    exported = onnx.load(str(path))
    onnx.checker.check_model(exported)
    used_ops = {node.op_type for node in exported.graph.node}
    unsupported = used_ops - ALLOWED_OPS
    if unsupported:
        raise RuntimeError(
            f"exported graph uses ops outside ALLOWED_OPS: {sorted(unsupported)}. Change the model, "
            "or add them to ALLOWED_OPS after checking that onnxruntime-web's WebGPU and WASM backends run them"
        )
    return exported, sorted(used_ops)


def run_onnx(model_path, inputs, embedding_size):
    """Run the exported model with onnxruntime-node and return (logits, embeddings)."""
    with tempfile.TemporaryDirectory() as folder:
        input_path = Path(folder) / "pixels.f32"
        logits_path = Path(folder) / "logits.f32"
        embedding_path = Path(folder) / "embedding.f32"
        np.ascontiguousarray(inputs, dtype="<f4").tofile(input_path)
        command = ["node", str(RUN_ONNX_SCRIPT), str(model_path), str(input_path),
                   str(len(inputs)), str(logits_path), str(embedding_path)]
        try:
            subprocess.run(command, cwd=REPO_ROOT, check=True)
        except FileNotFoundError as error:
            raise RuntimeError("node not found: install Node.js 20 or later, then run npm install") from error
        logits = np.fromfile(logits_path, dtype="<f4").reshape(len(inputs), len(LABELS))
        embeddings = np.fromfile(embedding_path, dtype="<f4").reshape(len(inputs), embedding_size)
    return logits, embeddings


def precision_at_k(embeddings, labels, k=5, chunk_size=1000):
    """Share of each item's k nearest neighbours by cosine (itself excluded) that share its label.

    The embeddings are unit length, so the dot product is the cosine similarity.
    """
    hits = 0
    for start in range(0, len(embeddings), chunk_size):
        similarity = embeddings[start:start + chunk_size] @ embeddings.T
        rows = np.arange(similarity.shape[0])
        similarity[rows, start + rows] = -np.inf
        neighbours = np.argpartition(-similarity, k, axis=1)[:, :k]
        hits += int((labels[neighbours] == labels[start:start + chunk_size, None]).sum())
    return hits / (len(embeddings) * k)


def sha256_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_manifest(model_path, exported, mean, std, metrics, train_rows, test_rows, embedding_size):
    return {
        "manifest_version": 1,
        "name": "product-photo",
        "title": "Product photo category",
        "version": "1.0.0",
        "description": (
            "Classifies a product photo into one of the 10 Fashion-MNIST clothing categories. "
            "A small CNN trained on 28x28 grayscale images of single items. It also returns "
            "an L2-normalised embedding for finding similar products."
        ),
        "task": "multiclass-classification",
        "model": {
            "file": model_path.name,
            "sha256": sha256_of(model_path),
            "size_bytes": model_path.stat().st_size,
            "opset": OPSET,
            "ir_version": exported.ir_version,
            "producer": f"{exported.producer_name} {exported.producer_version}",
        },
        "signature": {
            "inputs": [
                {"name": "pixels", "type": "tensor",
                 "tensor-spec": {"dtype": "float32", "shape": [-1, 1, IMAGE_SIZE, IMAGE_SIZE]}},
            ],
            "outputs": [
                {"name": "logits", "type": "tensor",
                 "tensor-spec": {"dtype": "float32", "shape": [-1, len(LABELS)]}},
                {"name": "embedding", "type": "tensor",
                 "tensor-spec": {"dtype": "float32", "shape": [-1, embedding_size]}},
            ],
        },
        "image": {
            "input": "pixels",
            "layout": "NCHW",
            "num_channels": 1,
            "do_convert_grayscale": True,
            "do_pad_square": True,
            "pad_value": "background",
            "do_resize": True,
            "size": {"height": IMAGE_SIZE, "width": IMAGE_SIZE},
            "resample": "area",
            "do_invert_light_background": True,
            "background_threshold": 0.5,
            "do_crop_to_content": True,
            "content_threshold": 0.1,
            "do_stretch_contrast": True,
            "do_rescale": True,
            "rescale_factor": RESCALE_FACTOR,
            "do_normalize": True,
            "image_mean": [mean],
            "image_std": [std],
        },
        "output": {
            "name": "logits",
            "kind": "logits",
            "labels": LABELS,
            "meaning": "Fashion-MNIST category of the item in the photo.",
        },
        "metrics": {
            "accuracy": round(metrics["accuracy"], 4),
            "test_rows": test_rows,
            "embedding_precision_at_5": round(metrics["embedding_precision_at_5"], 4),
        },
        "dataset": {
            "name": "Fashion-MNIST",
            "source": "https://github.com/zalandoresearch/fashion-mnist",
            "license": "MIT",
            "rows": train_rows + test_rows,
            "citation": (
                "Han Xiao, Kashif Rasul, Roland Vollgraf. Fashion-MNIST: a Novel Image Dataset "
                "for Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017. "
                "Copyright 2017 Zalando SE."
            ),
        },
        "golden": {"file": "golden.json"},
    }


def write_json(path, value):
    path.write_text(json.dumps(value, indent=2) + "\n")


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)

    train_images, train_labels = load_split(args.data_dir, "train")
    test_images, test_labels = load_split(args.data_dir, "t10k")
    # Rounded to 4 decimals so the manifest stays readable. Training uses the same rounded
    # values that the manifest gives the app.
    mean = round(float((train_images / 255.0).mean()), 4)
    std = round(float((train_images / 255.0).std()), 4)
    print(f"train {train_images.shape}, test {test_images.shape}, mean {mean}, std {std}")
    train_inputs = to_model_input(train_images, mean, std)
    test_inputs = to_model_input(test_images, mean, std)

    model = ProductPhotoNet()
    parameter_count = sum(p.numel() for p in model.parameters())
    print(f"parameters: {parameter_count}")
    train(model, train_inputs, train_labels, args)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    model_path = args.out_dir / "model.onnx"
    exported, used_ops = export_onnx(model, model_path)
    print(f"exported {model_path} ({model_path.stat().st_size} bytes), ops: {', '.join(used_ops)}")

    torch_logits, torch_embeddings = predict_torch(model, test_inputs)
    embedding_size = torch_embeddings.shape[1]
    onnx_logits, onnx_embeddings = run_onnx(model_path, test_inputs, embedding_size)
    logits_difference = float(np.abs(torch_logits - onnx_logits).max())
    embedding_difference = float(np.abs(torch_embeddings - onnx_embeddings).max())
    print(f"max |torch - onnxruntime|: logits {logits_difference:.3g}, "
          f"embedding {embedding_difference:.3g}")
    if logits_difference > GOLDEN_TOLERANCE:
        raise RuntimeError(f"torch and onnxruntime logits differ by {logits_difference}, "
                           f"more than the golden tolerance {GOLDEN_TOLERANCE}")

    # The recorded metrics describe the ONNX file, so they come from onnxruntime's outputs.
    metrics = {
        "accuracy": float((onnx_logits.argmax(axis=1) == test_labels).mean()),
        "embedding_precision_at_5": precision_at_k(onnx_embeddings, test_labels, k=5),
    }
    print(f"test accuracy {metrics['accuracy']:.4f} (torch "
          f"{(torch_logits.argmax(axis=1) == test_labels).mean():.4f}), "
          f"embedding precision@5 {metrics['embedding_precision_at_5']:.4f}")

    golden = {
        "tolerance": GOLDEN_TOLERANCE,
        "images": [
            {"index": index, "label": int(test_labels[index]),
             "logits": [float(value) for value in onnx_logits[index]]}
            for index in GOLDEN_INDICES
        ],
    }
    write_json(args.out_dir / "golden.json", golden)
    manifest = build_manifest(
        model_path, exported, mean, std, metrics, len(train_labels), len(test_labels), embedding_size,
    )
    write_json(args.out_dir / "manifest.json", manifest)
    print(f"wrote {args.out_dir / 'manifest.json'} and {args.out_dir / 'golden.json'}")


if __name__ == "__main__":
    sys.exit(main())
