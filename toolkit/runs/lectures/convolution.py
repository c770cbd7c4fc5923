"""The convolution sections: output sizes by stride, padding and pooling, and the notes' filters at work."""

from __future__ import annotations

import numpy as np

from toolkit.reports.science import Section, Table

#: Variants of the digits CNN whose shapes the report tabulates: (strides, padding, pooling).
VARIANTS = ((1, "valid", "max"), (1, "same", "max"), (1, "valid", "average"), (2, "same", "max"), (2, "same", "average"))


def _planned_sizes(size: int, strides: int, padding: str, pooling: str) -> list[int]:
    from toolkit.builders import conv_output_size
    from toolkit.builders.conv import digits_cnn_stages

    sizes = []
    for _, kernel, stride, pad in digits_cnn_stages(strides, padding, pooling):
        size = conv_output_size(size, kernel, stride, pad)
        sizes.append(size)
    return sizes


def arithmetic_section() -> tuple[Section, dict]:
    """Each variant's feature-map sizes from the formula beside Keras's own, and its parameters."""
    from toolkit.builders import digits_cnn

    rows, agree = [], True
    for strides, padding, pooling in VARIANTS:
        model = digits_cnn(strides=strides, padding=padding, pooling=pooling)
        keras_sizes = [layer.output.shape[1] for layer in model.layers[:5]]
        planned = _planned_sizes(28, strides, padding, pooling)
        agree &= keras_sizes == planned
        rows.append([f"strides={strides}, padding={padding}, pooling={pooling}",
                     " -> ".join(map(str, [28, *planned])), " -> ".join(map(str, [28, *keras_sizes])),
                     model.count_params()])
    text = ("Singaravelu's notes: an n x n image, an f x f filter, padding p and stride s give "
            "floor((n + 2p - f) / s) + 1 pixels a side; 'valid' pads nothing, 'same' pads so that stride 1 keeps "
            "the size. toolkit.builders.conv_output_size computes it; the digits CNN takes strides, padding and "
            "pooling (its defaults, the first row, are the lecture's 93,322 parameters). Sizes run through "
            "conv 3x3 -> pool 2x2 -> conv 3x3 -> pool 2x2 -> conv 3x3.")
    section = Section("Convolution arithmetic", text, tables=[Table(
        ["digits CNN variant", "sizes by the formula", "sizes Keras builds", "parameters"], rows,
        "Fewer pixels after the last convolution mean fewer weights in the dense layer that reads them.")])
    return section, {"variants": {row[0]: {"sizes": row[2], "params": row[3]} for row in rows},
                     "formula_matches_keras": bool(agree)}


def _notes_examples() -> tuple[list[list], np.ndarray, np.ndarray]:
    from toolkit.builders import filter_bank

    vertical = np.zeros((1, 6, 6, 1), "float32")
    vertical[:, :, :3] = 10
    horizontal = np.zeros((1, 6, 6, 1), "float32")
    horizontal[:, :3, :3] = 10
    horizontal[:, 3:, 3:] = 10
    out_v = np.asarray(filter_bank(["vertical_edge"], input_shape=(6, 6, 1))(vertical))[0, ..., 0]
    out_h = np.asarray(filter_bank(["horizontal_edge"], input_shape=(6, 6, 1))(horizontal))[0, ..., 0]
    rows = [["vertical edge on the notes' 6x6 image (10s left, 0s right)", " / ".join(
        " ".join(f"{v:g}" for v in row) for row in out_v)],
            ["horizontal edge on the notes' 6x6 image (two bright blocks)", " / ".join(
                " ".join(f"{v:g}" for v in row) for row in out_h)]]
    return rows, out_v, out_h


def filters_section(images: np.ndarray, names: tuple[str, ...]) -> tuple[Section, dict]:
    """The notes' worked examples, then every named filter on a few digits."""
    from toolkit.builders import KERNELS, filter_bank
    from toolkit.reports.lecture_plots import feature_maps_figure

    rows, out_v, out_h = _notes_examples()
    bank = filter_bank(names, input_shape=images.shape[1:])
    maps = np.asarray(bank(images[:3]))
    section = Section(
        "Filters", "Hand-made 3x3 kernels (Singaravelu, 'Other Common Filters' and 'Producing Feature Maps') as a "
        "frozen Conv2D (toolkit.builders.filter_bank): each output pixel is the sum of the kernel times the patch "
        "under it. First the notes' two worked examples, reproduced exactly (rows separated by /); then each filter "
        "on bundled digits, mid-grey = 0, white positive, black negative.",
        tables=[Table(["example", "feature map (4x4)"], rows),
                Table(["filter", "kernel (rows)", "responds to"],
                      [[n, " / ".join(" ".join(f"{v:g}" for v in row) for row in KERNELS[n][0]), KERNELS[n][1]]
                       for n in names],
                      "The notes print the edge-detect kernel's middle row as -1 -4 1, which does not sum to zero; "
                      "the Laplacian 1 -4 1 is used.")])
    for index in range(len(maps)):
        section.figure(feature_maps_figure(images[index, ..., 0], maps[index], list(names)))
    notes_match = (out_v.tolist() == [[0, 30, 30, 0]] * 4
                   and out_h.tolist() == [[0, 0, 0, 0], [30, 10, -10, -30], [30, 10, -10, -30], [0, 0, 0, 0]])
    return section, {"filters": list(names), "notes_examples_match": bool(notes_match)}
