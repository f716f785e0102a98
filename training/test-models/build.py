"""Build the small ONNX models, input files and reference outputs for the bring-your-own-model tests.

Run with Debian's python3 (python3-onnx, python3-numpy, python3-pil):

    /usr/bin/python3 training/test-models/build.py [OUTPUT_DIR]

The default output folder is test/fixtures/generated/byo/, which git ignores. Reference outputs
are computed with numpy from the same weights, independently of any ONNX runtime, and written
to references.json.
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "test" / "fixtures" / "generated" / "byo"
OPSET = 17
IR_VERSION = 8
rng = np.random.default_rng(20261204)


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    path = OUT / name
    onnx.save(model, str(path))
    return path


def make_model(graph, doc="", metadata=None, opsets=None):
    model = helper.make_model(
        graph,
        opset_imports=opsets or [helper.make_opsetid("", OPSET)],
        producer_name="tandem-test-models",
        producer_version="1.0",
        doc_string=doc,
    )
    model.ir_version = IR_VERSION
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key = key
        entry.value = value
    return model


def write_csv(path, header, rows):
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


def fmt(value):
    return float(np.float32(value))


def regressor(refs):
    """Linear regression [N, 4] -> [N, 1], with feature names in metadata_props."""
    names = ["sqft", "rooms", "age", "distance_km"]
    w = rng.normal(size=(4, 1)).astype(np.float32)
    b = np.array([3.5], dtype=np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["features", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["price"])],
        "house_price",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("price", TensorProto.FLOAT, ["batch", 1])],
        [init("w", w), init("b", b)],
    )
    model = make_model(graph, doc="House price regression for tests.", metadata={"feature_names": ",".join(names), "target": "price"})
    save(model, "regressor.onnx")

    x = rng.normal(size=(40, 4)).astype(np.float32).round(3)
    y = (x @ w + b)[:, 0]
    write_csv(OUT / "regressor.csv", ["id"] + names, [[i + 1, *row] for i, row in enumerate(x)])
    # JSONL: the same rows, keys in another order, plus a line with a text value, a broken line and
    # a line that lacks a key.
    lines = []
    for i, row in enumerate(x):
        record = {"distance_km": float(row[3]), "age": float(row[2]), "rooms": float(row[1]), "sqft": float(row[0]), "id": i + 1}
        lines.append(json.dumps(record))
    lines.insert(5, json.dumps({"sqft": "big", "rooms": 1, "age": 2, "distance_km": 3, "id": "bad-text"}))
    lines.insert(9, '{"sqft": 1, "rooms": ')
    lines.insert(12, json.dumps({"sqft": 1, "age": 2, "distance_km": 3, "id": "no-rooms"}))
    (OUT / "regressor.jsonl").write_text("\n".join(lines) + "\n")
    refs["regressor"] = {"outputs": [fmt(v) for v in y], "names": names}


def classifier(refs):
    """Multi-class classifier with a dynamic batch: [N, 5] -> logits, softmax probabilities, argmax label."""
    w = rng.normal(size=(5, 3)).astype(np.float32)
    b = rng.normal(size=(3,)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["input", "w", "b"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
            helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0),
        ],
        "iris_like",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 5])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3]),
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
        ],
        [init("w", w), init("b", b)],
    )
    model = make_model(graph, doc="Three-class classifier for tests.", metadata={"class_labels": "red,green,blue"})
    save(model, "classifier.onnx")

    x = rng.normal(size=(30, 5)).astype(np.float32).round(3)
    p = softmax(x @ w + b)
    # Headers that match no feature name: the columns map by position, with a warning.
    write_csv(OUT / "classifier.csv", ["m1", "m2", "m3", "m4", "m5"], x.tolist())
    write_csv(OUT / "classifier-4-columns.csv", ["m1", "m2", "m3", "m4"], x[:, :4].tolist())
    # No header row: the first row is data, which must not be read as column names.
    (OUT / "classifier-no-header.csv").write_text("".join(",".join(str(fmt(v)) for v in row) + "\n" for row in x[:3]))
    refs["classifier"] = {"probabilities": [[fmt(v) for v in row] for row in p], "labels": ["red", "green", "blue"]}


def fixed_batch(refs):
    """A model with a fixed batch of 1 that outputs logits: [1, 3] -> [1, 2]."""
    w = rng.normal(size=(3, 2)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["logits"])],
        "fixed_batch",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 2])],
        [init("w", w)],
    )
    save(make_model(graph), "fixed-batch.onnx")
    x = rng.normal(size=(12, 3)).astype(np.float32).round(3)
    logits = x @ w
    write_csv(OUT / "fixed-batch.csv", ["x0", "x1", "x2"], x.tolist())
    refs["fixed_batch"] = {"logits": [[fmt(v) for v in row] for row in logits], "probabilities": [[fmt(v) for v in row] for row in softmax(logits)]}


def two_inputs(refs):
    """Two float inputs, a [N, 2] and b [N, 3], summed into one regression output."""
    wa = rng.normal(size=(2, 1)).astype(np.float32)
    wb = rng.normal(size=(3, 1)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["a", "wa"], ["ya"]),
            helper.make_node("MatMul", ["b", "wb"], ["yb"]),
            helper.make_node("Add", ["ya", "yb"], ["y"]),
        ],
        "two_inputs",
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 2]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", 3]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
        [init("wa", wa), init("wb", wb)],
    )
    save(make_model(graph), "two-inputs.onnx")
    xa = rng.normal(size=(10, 2)).astype(np.float32).round(3)
    xb = rng.normal(size=(10, 3)).astype(np.float32).round(3)
    y = (xa @ wa + xb @ wb)[:, 0]
    write_csv(OUT / "two-inputs.csv", ["a_0", "a_1", "b_0", "b_1", "b_2"], np.hstack([xa, xb]).tolist())
    refs["two_inputs"] = {"outputs": [fmt(v) for v in y]}


def image_nhwc(refs):
    """A grayscale image model in NHWC layout: [N, 16, 16, 1] -> logits [N, 3]."""
    size = 16
    w = (rng.normal(size=(size * size, 3)) * 0.1).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Reshape", ["pixels", "shape"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w"], ["logits"]),
        ],
        "tiny_nhwc",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", size, size, 1])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])],
        [init("w", w), numpy_helper.from_array(np.array([-1, size * size], dtype=np.int64), "shape")],
    )
    save(make_model(graph, metadata={"class_labels": "circle,square,line"}), "image-nhwc.onnx")
    images = {}
    for i in range(4):
        pixels = rng.integers(0, 256, size=(size, size), dtype=np.uint8)
        # A dark border keeps the background estimate below the inversion threshold.
        pixels[0, :] = pixels[-1, :] = pixels[:, 0] = pixels[:, -1] = 0
        name = f"image-{i}.png"
        Image.fromarray(pixels, mode="L").save(OUT / name)
        x = pixels.astype(np.float64).reshape(1, -1) / 255.0
        logits = (x.astype(np.float32) @ w)[0]
        images[name] = {"logits": [fmt(v) for v in logits], "probabilities": [fmt(v) for v in softmax(logits[None, :])[0]]}
    refs["image_nhwc"] = {"images": images, "labels": ["circle", "square", "line"]}


def image_rgb(refs, key, layout, size, metadata, edited=None):
    """A colour image model: [N, 3, H, W] (NCHW) or [N, H, W, 3] (NHWC) -> logits [N, 3].

    The test images are PNGs of exactly the model's size with random colours, so the app does
    no padding or resizing and the reference input is the PNG's own pixels, rescaled and
    normalised per channel as the derived manifest says. `edited` gives another mean and standard
    deviation, as a user sets them in the model info panel, with the logits they give. A Reshape and a MatMul make every
    logit depend on each value's position, so a wrong layout or channel order changes them.
    """
    shape = ["N", 3, size, size] if layout == "NCHW" else ["N", size, size, 3]
    w = (rng.normal(size=(3 * size * size, 3)) * 0.1).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Reshape", ["pixels", "shape"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w"], ["logits"]),
        ],
        f"tiny_rgb_{layout.lower()}",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])],
        [init("w", w), numpy_helper.from_array(np.array([-1, 3 * size * size], dtype=np.int64), "shape")],
    )
    labels = ["red", "green", "blue"]
    save(make_model(graph, metadata={"class_labels": ",".join(labels), **metadata}), f"image-rgb-{layout.lower()}.onnx")

    mean = np.array(json.loads(metadata["image_mean"]) if "image_mean" in metadata else [0, 0, 0], dtype=np.float64)
    std = np.array(json.loads(metadata["image_std"]) if "image_std" in metadata else [1, 1, 1], dtype=np.float64)
    images = {}
    for i in range(5):
        pixels = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
        # Pure primaries in three corners: a swap of red and blue would change these values most.
        pixels[0, 0] = (255, 0, 0)
        pixels[0, -1] = (0, 255, 0)
        pixels[-1, 0] = (0, 0, 255)
        name = f"rgb-{layout.lower()}-{i}.png"
        Image.fromarray(pixels, mode="RGB").save(OUT / name)

        def logits_of(mean, std):
            x = (pixels.astype(np.float64) / 255.0 - np.asarray(mean, dtype=np.float64)) / np.asarray(std, dtype=np.float64)  # [H, W, C]
            if layout == "NCHW":
                x = x.transpose(2, 0, 1)
            return (x.astype(np.float32).reshape(1, -1) @ w)[0]

        logits = logits_of(mean, std)
        images[name] = {
            "logits": [fmt(v) for v in logits],
            "probabilities": [fmt(v) for v in softmax(logits[None, :])[0]],
            "pixels": pixels.reshape(-1).tolist(),
        }
        if edited:
            images[name]["edited_logits"] = [fmt(v) for v in logits_of(edited["image_mean"], edited["image_std"])]
    refs[key] = {"images": images, "labels": labels, "size": size, **({"edited": edited} if edited else {})}


def bad_image_manifest():
    """A manifest for the NHWC colour model whose image_mean has two values for three channels."""
    model = OUT / "image-rgb-nhwc.onnx"
    manifest = {
        "manifest_version": 1,
        "name": "image-rgb-nhwc",
        "title": "Colour model with a bad mean",
        "version": "1",
        "task": "multiclass-classification",
        "model": {"file": model.name, "sha256": hashlib.sha256(model.read_bytes()).hexdigest()},
        "signature": {"inputs": [], "outputs": []},
        "image": {
            "input": "pixels", "layout": "NHWC", "num_channels": 3, "do_convert_rgb": True,
            "do_pad_square": True, "pad_value": "background", "do_resize": True, "size": {"height": 6, "width": 6},
            "resample": "area", "do_invert_light_background": False, "background_threshold": 0.5,
            "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5, 0.5], "image_std": [0.25, 0.25, 0.25],
        },
        "output": {"name": "logits", "kind": "logits", "labels": ["red", "green", "blue"]},
    }
    (OUT / "bad-image-manifest").mkdir(exist_ok=True)
    (OUT / "bad-image-manifest" / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def map_type(key_type, value_type):
    """Return a TypeProto for map(key_type, value_type); onnx 1.12's helper has no function for it."""
    proto = onnx.TypeProto()
    proto.map_type.key_type = key_type
    proto.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(value_type, []))
    return proto


def zipmap(refs):
    """A classifier shaped like a skl2onnx export: a label tensor and a ZipMap of probabilities."""
    w = rng.normal(size=(4, 3)).astype(np.float32)
    b = rng.normal(size=(3,)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["float_input", "w", "b"], ["scores"]),
            helper.make_node("Softmax", ["scores"], ["probabilities"], axis=1),
            helper.make_node("ArgMax", ["scores"], ["output_label"], axis=1, keepdims=0),
            helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml", classlabels_strings=["cat", "dog", "bird"]),
        ],
        "sklearn_like",
        [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, ["N", 4])],
        [
            helper.make_tensor_value_info("output_label", TensorProto.INT64, ["N"]),
            helper.make_value_info("output_probability", helper.make_sequence_type_proto(map_type(TensorProto.STRING, TensorProto.FLOAT))),
        ],
        [init("w", w), init("b", b)],
    )
    model = make_model(graph, opsets=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", 1)])
    model.producer_name = "skl2onnx"
    save(model, "zipmap.onnx")
    x = rng.normal(size=(8, 4)).astype(np.float32).round(3)
    write_csv(OUT / "zipmap.csv", ["f0", "f1", "f2", "f3"], x.tolist())
    refs["zipmap"] = {"probabilities": [[fmt(v) for v in row] for row in softmax(x @ w + b)], "labels": ["cat", "dog", "bird"]}


def webgpu_fallback(refs):
    """A model with Round, an operator the WebGPU execution provider lacks: [N, 2] -> [N, 1]."""
    w = rng.normal(size=(2, 1)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Round", ["x"], ["rounded"]), helper.make_node("MatMul", ["rounded", "w"], ["y"])],
        "rounding",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
        [init("w", w)],
    )
    save(make_model(graph), "rounding.onnx")
    x = (rng.normal(size=(6, 2)) * 3).astype(np.float32).round(2)
    write_csv(OUT / "rounding.csv", ["x0", "x1"], x.tolist())
    # numpy rounds half to even, as ONNX Round does.
    refs["rounding"] = {"outputs": [fmt(v) for v in (np.round(x) @ w)[:, 0]]}


def bad_files():
    """Files each of which must be rejected with a message that names the problem."""
    (OUT / "not-onnx.onnx").write_text("sqft,rooms,age\n1,2,3\n")
    whole = (OUT / "classifier.onnx").read_bytes()
    (OUT / "truncated.onnx").write_bytes(whole[: len(whole) * 2 // 3])

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "future_opset",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
    )
    save(make_model(graph, opsets=[helper.make_opsetid("", 99)]), "opset-99.onnx", check=False)

    graph = helper.make_graph(
        [helper.make_node("FancyScaler", ["x"], ["y"], domain="com.example")],
        "custom_operator",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
    )
    save(make_model(graph, opsets=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.example", 1)]), "unknown-operator.onnx", check=False)

    # An operator in the default domain that ONNX does not define: only compiling finds it.
    graph = helper.make_graph(
        [helper.make_node("FrobnicateXYZ", ["x"], ["y"])],
        "unknown_standard_operator",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
    )
    save(make_model(graph), "unknown-standard-operator.onnx", check=False)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    refs = {}
    regressor(refs)
    classifier(refs)
    fixed_batch(refs)
    two_inputs(refs)
    image_nhwc(refs)
    # ImageNet's mean and standard deviation, as many exported models record them.
    image_rgb(refs, "image_rgb_nchw", "NCHW", 8, {"image_mean": "[0.485, 0.456, 0.406]", "image_std": "[0.229, 0.224, 0.225]"})
    image_rgb(refs, "image_rgb_nhwc", "NHWC", 6, {}, edited={"image_mean": [0.5, 0.4, 0.3], "image_std": [0.25, 0.2, 0.5]})
    zipmap(refs)
    webgpu_fallback(refs)
    bad_files()
    bad_image_manifest()
    (OUT / "references.json").write_text(json.dumps(refs, indent=1) + "\n")
    print(f"wrote test models and references to {OUT}")


if __name__ == "__main__":
    main()
