"""Train the Tandem churn model on modeldata's wa_churn and write everything the app serves for it.

Run from the repository root after export_data.R:

    Rscript training/churn/export_data.R
    /usr/bin/python3 training/churn/train.py

Writes public/models/churn/{model.onnx,manifest.json,golden.json} and
public/data/{churn.csv,churn-ibm.csv}. Golden outputs come from onnxruntime-node, so `node` and
`npm install` (for node_modules/onnxruntime-node) are needed. Reruns on the same input write
byte-identical files (checked with torch 1.13 on CPU). Another torch version may export a
different but equivalent ONNX file.
"""

import argparse
import csv
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT_DIR = Path(__file__).resolve().parent

MODEL_NAME = "churn"
MODEL_VERSION = "1.0.0"
MODEL_TITLE = "Customer churn"
MODEL_DESCRIPTION = (
    "Logistic regression that estimates the probability that a telecom customer cancels their "
    "service (churns), trained on the IBM Watson telco churn sample data."
)

SPLIT_SEED = 42
REPEATED_SPLIT_SEEDS = list(range(10))
TEST_FRACTION = 0.2
L2_PENALTY = 1e-3
OPSET = 17
GOLDEN_TOLERANCE = 1e-5
TORCH_ORT_MAX_DIFF = 1e-6
MIN_TEST_ROC_AUC = 0.83

LABEL = "churn"
POSITIVE_LABEL = "Yes"
NEGATIVE_LABEL = "No"

BOOLEAN_TRUE = ["1", "true", "yes"]
BOOLEAN_FALSE = ["0", "false", "no"]

# Features in modeldata column order. Category lists come from the data (sorted), and scalers
# from the training split. `ibm` is the column name in the original IBM file.
FEATURES = [
    {"name": "female", "type": "boolean", "ibm": "gender",
     "description": "Whether the customer is a woman (1, or Female in the IBM file) or a man (0, or Male)."},
    {"name": "senior_citizen", "type": "boolean", "ibm": "SeniorCitizen",
     "description": "Whether the customer is 65 or older."},
    {"name": "partner", "type": "boolean", "ibm": "Partner",
     "description": "Whether the customer has a spouse or partner."},
    {"name": "dependents", "type": "boolean", "ibm": "Dependents",
     "description": "Whether the customer has dependents, such as children."},
    {"name": "tenure", "type": "number", "ibm": "tenure", "step": 1,
     "description": "Number of months the customer has been with the company."},
    {"name": "phone_service", "type": "boolean", "ibm": "PhoneService",
     "description": "Whether the customer has a phone line."},
    {"name": "multiple_lines", "type": "category", "ibm": "MultipleLines",
     "description": "Whether the customer has more than one phone line."},
    {"name": "internet_service", "type": "category", "ibm": "InternetService",
     "description": "Kind of internet connection the customer has, if any."},
    {"name": "online_security", "type": "category", "ibm": "OnlineSecurity",
     "description": "Whether the customer pays for the online security add-on."},
    {"name": "online_backup", "type": "category", "ibm": "OnlineBackup",
     "description": "Whether the customer pays for the online backup add-on."},
    {"name": "device_protection", "type": "category", "ibm": "DeviceProtection",
     "description": "Whether the customer pays for the device protection plan."},
    {"name": "tech_support", "type": "category", "ibm": "TechSupport",
     "description": "Whether the customer pays for the premium technical support plan."},
    {"name": "streaming_tv", "type": "category", "ibm": "StreamingTV",
     "description": "Whether the customer streams TV through their internet service."},
    {"name": "streaming_movies", "type": "category", "ibm": "StreamingMovies",
     "description": "Whether the customer streams movies through their internet service."},
    {"name": "contract", "type": "category", "ibm": "Contract",
     "description": "Length of the customer's contract."},
    {"name": "paperless_billing", "type": "boolean", "ibm": "PaperlessBilling",
     "description": "Whether the customer gets their bills electronically instead of on paper."},
    {"name": "payment_method", "type": "category", "ibm": "PaymentMethod",
     "description": "How the customer pays their bill."},
    {"name": "monthly_charges", "type": "number", "ibm": "MonthlyCharges", "step": 0.05,
     "description": "Amount the customer is currently charged each month, in US dollars."},
    {"name": "total_charges", "type": "number", "ibm": "TotalCharges", "step": 0.01,
     "description": "Total amount charged to the customer so far, in US dollars."},
]

TOTAL_CHARGES_MISSING = {
    "strategy": "constant",
    "fill_value": 0,
    "reason": (
        "Customers with tenure 0 have not been billed yet, so an empty total_charges "
        "(a single space in the IBM file) means 0."
    ),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=REPO_ROOT / "training" / "churn" / "build" / "wa_churn.csv",
        help="CSV written by export_data.R (default: training/churn/build/wa_churn.csv)",
    )
    return parser.parse_args()


def read_modeldata_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read the export_data.R CSV as strings, so values keep modeldata's spelling."""
    if not path.exists():
        sys.exit(f"Data file {path} not found. Run `Rscript training/churn/export_data.R` first.")
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        rows = list(reader)
        header = list(reader.fieldnames or [])

    expected = [LABEL] + [feature["name"] for feature in FEATURES]
    if header != expected:
        sys.exit(f"{path} has columns {header}, expected {expected}. Re-export it with export_data.R.")
    if len(rows) != 7043:
        sys.exit(f"{path} has {len(rows)} rows, expected 7043. Re-export it with export_data.R.")
    return header, rows


def split_rows(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted (train, test) row indices of an 80/20 split stratified by the label.

    For label 0 and then label 1, one generator permutes that label's row indices (ascending)
    and holds out the first round(20%) of them.
    """
    rng = np.random.default_rng(seed)
    test_parts = []
    for value in (0, 1):
        permuted = rng.permutation(np.flatnonzero(labels == value))
        test_parts.append(permuted[:round(len(permuted) * TEST_FRACTION)])
    test_rows = np.sort(np.concatenate(test_parts))
    return np.setdiff1d(np.arange(len(labels)), test_rows), test_rows


def repeated_split_auc(rows: list[dict[str, str]], labels: np.ndarray) -> dict:
    """Refit scalers and weights on the splits with seeds 0-9 and summarise the held-out ROC AUC.

    The spread shows how much of the recorded test ROC AUC is owed to the choice of split.
    """
    scores = []
    for seed in REPEATED_SPLIT_SEEDS:
        train_rows, test_rows = split_rows(labels, seed)
        x = encode_rows(rows, build_feature_specs(rows, train_rows))
        linear = train_logistic_regression(x[train_rows], labels[train_rows])
        with torch.no_grad():
            probability = torch.sigmoid(linear(torch.from_numpy(x[test_rows]))).numpy()[:, 0]
        scores.append(roc_auc(labels[test_rows], probability))
    return {
        "seeds": f"{REPEATED_SPLIT_SEEDS[0]}-{REPEATED_SPLIT_SEEDS[-1]}",
        "mean": round(float(np.mean(scores)), 4),
        "std": round(float(np.std(scores)), 4),
        "min": round(min(scores), 4),
        "max": round(max(scores), 4),
    }


def raw_number(feature: dict, cell: str) -> float:
    """Parse a number cell, applying the feature's missing-value rule to an empty cell."""
    if cell.strip() == "":
        if feature["missing"]["strategy"] != "constant":
            raise ValueError(f"Feature {feature['name']} is empty, and its missing-value strategy is 'error'.")
        return float(feature["missing"]["fill_value"])
    return float(cell)


def build_feature_specs(rows: list[dict[str, str]], train_rows: np.ndarray) -> list[dict]:
    """Build the manifest's feature list: scalers from the training rows, ranges from all rows."""
    specs = []
    for feature in FEATURES:
        name = feature["name"]
        spec = {"name": name, "type": feature["type"], "description": feature["description"]}
        if name == "female":
            spec["aliases"] = ["gender"]
        spec["missing"] = TOTAL_CHARGES_MISSING if name == "total_charges" else {"strategy": "error"}

        if feature["type"] == "number":
            values = np.array([raw_number(spec, row[name]) for row in rows])
            train_values = values[train_rows]
            scale = float(np.std(train_values))  # population std, as StandardScaler
            spec["min"] = 0
            spec["max"] = round_up_range(float(values.max()))
            spec["step"] = feature["step"]
            spec["scaler"] = {"mean": float(np.mean(train_values)), "scale": scale if scale > 0 else 1.0}
        elif feature["type"] == "boolean":
            spec["true_values"] = BOOLEAN_TRUE + (["female"] if name == "female" else [])
            spec["false_values"] = BOOLEAN_FALSE + (["male"] if name == "female" else [])
        else:
            spec["categories"] = sorted({row[name] for row in rows})
        specs.append(spec)
    return specs


def round_up_range(value: float) -> int:
    """Round a form maximum up to the next multiple of 10, or of 1000 from 1000 on."""
    unit = 1000 if value >= 1000 else 10
    return int(np.ceil(value / unit) * unit)


def encode_rows(rows: list[dict[str, str]], specs: list[dict]) -> np.ndarray:
    """Encode records as the manifest describes, in float64 (cast to float32 for the model)."""
    width = sum(len(spec["categories"]) if spec["type"] == "category" else 1 for spec in specs)
    matrix = np.zeros((len(rows), width), dtype=np.float64)
    for row_index, row in enumerate(rows):
        column = 0
        for spec in specs:
            cell = row[spec["name"]]
            if spec["type"] == "number":
                value = raw_number(spec, cell)
                matrix[row_index, column] = (value - spec["scaler"]["mean"]) / spec["scaler"]["scale"]
                column += 1
            elif spec["type"] == "boolean":
                key = cell.strip().lower()
                if key not in spec["true_values"] and key not in spec["false_values"]:
                    raise ValueError(f"Row {row_index}: {spec['name']} has invalid value {cell!r}.")
                matrix[row_index, column] = 1.0 if key in spec["true_values"] else 0.0
                column += 1
            else:
                lowered = [category.lower() for category in spec["categories"]]
                key = cell.strip().lower()
                if key not in lowered:
                    raise ValueError(f"Row {row_index}: {spec['name']} has unknown category {cell!r}.")
                matrix[row_index, column + lowered.index(key)] = 1.0
                column += len(spec["categories"])
    return matrix


def train_logistic_regression(x: np.ndarray, y: np.ndarray) -> torch.nn.Linear:
    """Fit an L2-penalised logistic regression in float64 with full-batch L-BFGS.

    L-BFGS on this convex loss converges to the same optimum on every run, so no training
    seed is needed. The penalty does not apply to the bias.
    """
    inputs = torch.from_numpy(x)
    targets = torch.from_numpy(y.astype(np.float64)).unsqueeze(1)
    linear = torch.nn.Linear(x.shape[1], 1).double()
    torch.nn.init.zeros_(linear.weight)
    torch.nn.init.zeros_(linear.bias)
    optimizer = torch.optim.LBFGS(
        linear.parameters(), lr=1.0, max_iter=1000, tolerance_grad=1e-10,
        tolerance_change=1e-12, history_size=20, line_search_fn="strong_wolfe",
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_fn(linear(inputs), targets) + L2_PENALTY * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return linear


def to_float32_model(linear: torch.nn.Linear) -> torch.nn.Sequential:
    """Return the float32 model that is exported: Linear (Gemm) followed by Sigmoid."""
    model = torch.nn.Sequential(torch.nn.Linear(linear.in_features, 1), torch.nn.Sigmoid())
    with torch.no_grad():
        model[0].weight.copy_(linear.weight.float())
        model[0].bias.copy_(linear.bias.float())
    return model.eval()


def export_onnx(model: torch.nn.Sequential, width: int, path: Path) -> onnx.ModelProto:
    """Export to ONNX with a dynamic batch dimension, then set the name, version and description."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        torch.zeros(1, width, dtype=torch.float32),
        str(path),
        input_names=["features"],
        output_names=["probability"],
        dynamic_axes={"features": {0: "batch"}, "probability": {0: "batch"}},
        opset_version=OPSET,
        do_constant_folding=True,
    )
    proto = onnx.load(str(path))
    proto.doc_string = MODEL_DESCRIPTION
    proto.graph.name = MODEL_NAME
    proto.model_version = 1
    del proto.metadata_props[:]
    for key, value in (("name", MODEL_NAME), ("version", MODEL_VERSION), ("description", MODEL_DESCRIPTION)):
        proto.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return proto


def run_onnxruntime_node(model_path: Path, x32: np.ndarray) -> np.ndarray:
    """Run the ONNX file with onnxruntime-node (through ort_predict.mjs) and return the probabilities."""
    with tempfile.TemporaryDirectory() as directory:
        input_path = Path(directory) / "features.f32"
        output_path = Path(directory) / "probability.f32"
        x32.astype("<f4").tofile(input_path)
        command = ["node", str(SCRIPT_DIR / "ort_predict.mjs"), str(model_path), str(input_path),
                   str(x32.shape[1]), str(output_path)]
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"onnxruntime-node failed (exit {result.returncode}): {result.stderr.strip()}\n"
                     "Run `npm install` in the repository root to get onnxruntime-node.")
        return np.fromfile(output_path, dtype="<f4")


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Compute ROC AUC as the Mann-Whitney U statistic, with tied scores sharing their mean rank."""
    order = np.argsort(score, kind="mergesort")
    sorted_scores = score[order]
    ranks = np.empty(len(score), dtype=np.float64)
    start = 0
    while start < len(score):
        end = start
        while end + 1 < len(score) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2 + 1
        start = end + 1
    positives = int(y.sum())
    negatives = len(y) - positives
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def accuracy(y: np.ndarray, probability: np.ndarray, threshold: float = 0.5) -> float:
    return float(np.mean((probability >= threshold) == (y == 1)))


def shortest_float32(value: float) -> float:
    """Return the shortest decimal that reads back as the same float32, as a Python float."""
    return float(np.format_float_positional(np.float32(value), unique=True, trim="-"))


def json_value(spec: dict, cell: str) -> float | int | str:
    """Convert a modeldata cell to the JSON value used in the manifest's sample record."""
    if spec["type"] == "category":
        return cell
    number = float(cell)
    return int(number) if number.is_integer() else number


def write_csv(path: Path, header: list[str], records: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(records)


def ibm_cell(feature: dict, cell: str) -> str:
    """Respell a modeldata cell as the original IBM file writes it."""
    if feature["name"] == "female":
        return "Female" if cell == "1" else "Male"
    if feature["name"] == "senior_citizen":
        return cell  # the IBM file writes 0/1 here, like modeldata
    if feature["type"] == "boolean":
        return "Yes" if cell == "1" else "No"
    if feature["name"] == "total_charges" and cell == "":
        return " "  # the IBM file writes a single space for customers not billed yet
    return cell


def write_data_files(header: list[str], rows: list[dict[str, str]]) -> None:
    """Write public/data/churn.csv (modeldata layout) and churn-ibm.csv (original IBM layout)."""
    data_dir = REPO_ROOT / "public" / "data"
    write_csv(data_dir / "churn.csv", header, [[row[name] for name in header] for row in rows])

    ibm_header = ["customerID"] + [feature["ibm"] for feature in FEATURES] + ["Churn"]
    ibm_records = []
    for index, row in enumerate(rows):
        # modeldata drops the IBM customer IDs, so the IDs are synthesised from the row number.
        record = [f"C{index + 1:05d}"]
        record += [ibm_cell(feature, row[feature["name"]]) for feature in FEATURES]
        record.append(row[LABEL])
        ibm_records.append(record)
    write_csv(data_dir / "churn-ibm.csv", ibm_header, ibm_records)


def build_manifest(proto: onnx.ModelProto, model_path: Path, specs: list[dict], width: int,
                   metrics: dict, row_count: int, sample: dict) -> dict:
    model_bytes = model_path.read_bytes()
    return {
        "manifest_version": 1,
        "name": MODEL_NAME,
        "title": MODEL_TITLE,
        "version": MODEL_VERSION,
        "description": MODEL_DESCRIPTION,
        "task": "binary-classification",
        "model": {
            "file": model_path.name,
            "sha256": hashlib.sha256(model_bytes).hexdigest(),
            "size_bytes": len(model_bytes),
            "opset": OPSET,
            "ir_version": proto.ir_version,
            "producer": f"{proto.producer_name} {proto.producer_version}",
        },
        "signature": {
            "inputs": [{"name": "features", "type": "tensor",
                        "tensor-spec": {"dtype": "float32", "shape": [-1, width]}}],
            "outputs": [{"name": "probability", "type": "tensor",
                         "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}],
        },
        "tabular": {
            "input": "features",
            "features": specs,
            "id_columns": ["customer_id", "customerID", "id"],
            "label": {"name": LABEL, "aliases": [], "positive": POSITIVE_LABEL,
                      "true_values": BOOLEAN_TRUE, "false_values": BOOLEAN_FALSE},
        },
        "output": {
            "name": "probability",
            "kind": "probability",
            "labels": [NEGATIVE_LABEL, POSITIVE_LABEL],
            "positive_label": POSITIVE_LABEL,
            "threshold": 0.5,
            "meaning": "Probability that the customer churns (churn = Yes).",
        },
        "metrics": metrics,
        "dataset": {
            "name": "wa_churn",
            "source": (
                "R package modeldata 1.1.0 (CRAN), data set wa_churn: IBM Watson Analytics telco "
                "customer churn sample data, downloaded from the IBM Watson site by the modeldata "
                "authors in September 2018. modeldata drops the customer IDs."
            ),
            "license": (
                "MIT, the licence of the modeldata package that distributes the data "
                "(Copyright 2019 Max Kuhn, RStudio). The wa_churn help page states no separate "
                "terms for the IBM sample data."
            ),
            "rows": row_count,
            "sample_file": "../../data/churn.csv",
            "citation": (
                "Kuhn M (2023). modeldata: Data Sets Useful for Modeling Examples. R package "
                "version 1.1.0, https://CRAN.R-project.org/package=modeldata"
            ),
        },
        "golden": {"file": "golden.json"},
        "sample": sample,
    }


def main() -> None:
    args = parse_args()
    torch.set_num_threads(1)  # fixed reduction order, so reruns give identical weights

    header, rows = read_modeldata_csv(args.data)
    labels = np.array([1 if row[LABEL] == POSITIVE_LABEL else 0 for row in rows])
    train_rows, test_rows = split_rows(labels, SPLIT_SEED)

    specs = build_feature_specs(rows, train_rows)
    x = encode_rows(rows, specs)
    width = x.shape[1]
    x32 = x.astype(np.float32)

    linear = train_logistic_regression(x[train_rows], labels[train_rows])
    model = to_float32_model(linear)

    model_dir = REPO_ROOT / "public" / "models" / MODEL_NAME
    model_path = model_dir / "model.onnx"
    proto = export_onnx(model, width, model_path)

    ort_probability = run_onnxruntime_node(model_path, x32)
    with torch.no_grad():
        torch_probability = model(torch.from_numpy(x32)).numpy()[:, 0]
    max_difference = float(np.max(np.abs(torch_probability.astype(np.float64) - ort_probability)))
    if max_difference > TORCH_ORT_MAX_DIFF:
        sys.exit(f"torch and onnxruntime-node differ by {max_difference:.3g}, more than {TORCH_ORT_MAX_DIFF}.")

    test_auc = roc_auc(labels[test_rows], ort_probability[test_rows])
    if test_auc < MIN_TEST_ROC_AUC:
        sys.exit(f"Held-out ROC AUC {test_auc:.4f} is below the required {MIN_TEST_ROC_AUC}.")
    metrics = {
        "split": (
            f"80/20 split of the 7,043 rows, stratified by churn, seed {SPLIT_SEED}: one "
            f"numpy.random.default_rng({SPLIT_SEED}) permutes the row indices with churn = No and then "
            "those with churn = Yes, and the first round(20%) of each are held out. Scalers and "
            "weights use the training rows only."
        ),
        "train_rows": len(train_rows),
        "test_rows": len(test_rows),
        "roc_auc": round(test_auc, 4),
        "accuracy": round(accuracy(labels[test_rows], ort_probability[test_rows]), 4),
        "roc_auc_repeated_splits": repeated_split_auc(rows, labels),
        "all_rows": {
            "rows": len(rows),
            "roc_auc": round(roc_auc(labels, ort_probability), 4),
            "accuracy": round(accuracy(labels, ort_probability), 4),
        },
    }

    sample_row = rows[test_rows[0]]
    sample = {spec["name"]: json_value(spec, sample_row[spec["name"]]) for spec in specs}
    manifest = build_manifest(proto, model_path, specs, width, metrics, len(rows), sample)
    (model_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    golden = {
        "tolerance": GOLDEN_TOLERANCE,
        "rows": [{"row": int(index), "probability": shortest_float32(ort_probability[index])}
                 for index in test_rows],
    }
    (model_dir / "golden.json").write_text(json.dumps(golden, indent=2) + "\n")

    write_data_files(header, rows)

    print(f"Encoded width F = {width}; train rows {len(train_rows)}, test rows {len(test_rows)}")
    print(f"Held-out ROC AUC {metrics['roc_auc']}, accuracy {metrics['accuracy']}; "
          f"all rows ROC AUC {metrics['all_rows']['roc_auc']}, accuracy {metrics['all_rows']['accuracy']}")
    print(f"Max |torch - onnxruntime-node| = {max_difference:.3g}")
    print(f"Wrote {model_path.relative_to(REPO_ROOT)} ({model_path.stat().st_size} bytes), manifest.json, "
          "golden.json, public/data/churn.csv and churn-ibm.csv")


if __name__ == "__main__":
    main()
