# Reads an NWB file with h5py and prints every group, dataset, link and attribute as JSON, for
# nwb_test.ts. uint8 image data is given as the SHA-256 of its frames transposed back to
# (frames, rows, cols), with the first frame's bytes in hex; NaN becomes the string "NaN".
import hashlib
import json
import math
import sys

import h5py
import numpy as np


def plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return "NaN" if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def dtype_name(dtype, obj=None):
    info = h5py.check_string_dtype(dtype)
    if info is not None:
        return "vlen-" + info.encoding if info.length is None else "fixed-" + info.encoding
    return dtype.str


def attributes(obj):
    out = {}
    for name, value in obj.attrs.items():
        if isinstance(value, h5py.Reference):
            out[name] = ["object-reference", obj.file[value].name]
            continue
        out[name] = [dtype_name(obj.attrs.get_id(name).dtype), plain(value)]
    return out


def main(path):
    result = {}
    with h5py.File(path, "r") as f:
        result["libver"] = list(f.libver)

        def visit(name, group):
            for key in group.keys():
                full = (name.rstrip("/") + "/" + key) if name != "/" else "/" + key
                link = group.get(key, getlink=True)
                if isinstance(link, h5py.SoftLink):
                    result[full] = {"kind": "softlink", "target": link.path}
                    continue
                if isinstance(link, h5py.HardLink) is False:
                    result[full] = {"kind": type(link).__name__}
                    continue
                obj = group[key]
                if isinstance(obj, h5py.Group):
                    result[full] = {"kind": "group", "attrs": attributes(obj)}
                    visit(full, obj)
                else:
                    entry = {
                        "kind": "dataset",
                        "dtype": dtype_name(obj.dtype),
                        "shape": list(obj.shape),
                        "maxshape": [None if m is None else m for m in obj.maxshape] if obj.maxshape else None,
                        "chunks": list(obj.chunks) if obj.chunks else None,
                        "compression": obj.compression,
                        "compression_opts": obj.compression_opts,
                        "attrs": attributes(obj),
                    }
                    if obj.dtype == np.uint8 and obj.ndim == 3:
                        frames = np.ascontiguousarray(obj[()].transpose(0, 2, 1))
                        entry["sha256"] = hashlib.sha256(frames.tobytes()).hexdigest()
                        entry["first"] = frames[0].tobytes().hex() if frames.shape[0] else ""
                    else:
                        entry["value"] = plain(obj[()])
                    result[full] = entry

        result["/"] = {"kind": "group", "attrs": attributes(f)}
        visit("/", f)
    print(json.dumps(result))


main(sys.argv[1])
