# Export modeldata's wa_churn (IBM Watson telco churn, 7,043 customers) to CSV for train.py.
#
# Usage, from the repository root:
#   Rscript training/churn/export_data.R [OUTPUT_CSV]
# OUTPUT_CSV defaults to training/churn/build/wa_churn.csv.
#
# The file keeps modeldata's snake_case columns, value spellings and row order. The 0/1 flags stay
# 0/1, and the 11 missing total_charges values (customers with tenure 0) become empty cells.

suppressPackageStartupMessages(library(modeldata))

args <- commandArgs(trailingOnly = TRUE)
output_path <- if (length(args) >= 1) args[[1]] else file.path("training", "churn", "build", "wa_churn.csv")

data(wa_churn, package = "modeldata")
if (nrow(wa_churn) != 7043) {
  stop(sprintf("wa_churn has %d rows, expected 7043; check the installed modeldata version.", nrow(wa_churn)))
}

dir.create(dirname(output_path), recursive = TRUE, showWarnings = FALSE)
# write.csv keeps 15 significant digits, so charges such as 1889.5 are written exactly.
write.csv(as.data.frame(wa_churn), output_path, row.names = FALSE, na = "")

message(sprintf("Wrote %d rows of wa_churn (modeldata %s) to %s",
                nrow(wa_churn), as.character(packageVersion("modeldata")), output_path))
