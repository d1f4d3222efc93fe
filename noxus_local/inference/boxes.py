"""Box maths shared by the detectors: greedy non-maximum suppression on ``(x1, y1, x2, y2)``.

Example::

    keep = nms(np.array([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 60, 60]]), np.array([0.9, 0.8, 0.7]))
    keep                              # [0, 2]: the second box overlaps the first by 81 %
"""

from __future__ import annotations

import numpy as np


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    """Indices kept, best first: each box drops the lower-scored boxes overlapping it by more than ``iou``."""
    order = list(np.argsort(-scores, kind="stable"))
    keep: list[int] = []
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order:
        best = order.pop(0)
        keep.append(int(best))
        if not order:
            break
        rest = np.array(order)
        x1 = np.maximum(boxes[best, 0], boxes[rest, 0])
        y1 = np.maximum(boxes[best, 1], boxes[rest, 1])
        x2 = np.minimum(boxes[best, 2], boxes[rest, 2])
        y2 = np.minimum(boxes[best, 3], boxes[rest, 3])
        inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
        overlap = inter / (area[best] + area[rest] - inter + 1e-9)
        order = [int(i) for i in rest[overlap <= iou]]
    return keep
