# Checks an NWB file with the offline validator set of ../shared/tools/nwb, for the NWB tests,
# and prints what it found as JSON:
# - "validation": pynwb's validator, the file opened with load_namespaces=True, against the most
#   specific namespaces the file caches (those no other cached namespace includes, as pynwb's
#   cached-namespace mode picks them), or against core when it caches none; the core types they
#   build on come from pynwb's own core namespace, which the files do not cache;
#   "validated_namespaces" says which;
# - "cached_validation": what pynwb's validator says in its cached-namespace mode (as
#   `nwb-validate` and `dandi validate` run it), which loads only the namespaces cached in the
#   file: its errors, or the exception it stops with;
# - "objects": a complete read-back with NWBHDF5IO and load_namespaces=True (pynwb 2.3.0 does
#   not load cached extensions by default): every acquisition series with its shape and time
#   base, every device with its type and fields, the subject and the file-level fields;
# - "inspector": nwbinspector's findings, with its "dandi" configuration when --dandi is given,
#   run as dandi-cli runs it (skip_validate: nwbinspector's own pass validates against the core
#   namespace alone, which flags every link to a device of an extension type, in pynwb's own
#   files too, pynwb issue 1777).
# Usage: nwb_check.py FILE [--dandi]
import json
import sys
import warnings

import h5py
import numpy as np

warnings.simplefilter("ignore")

from nwbinspector import inspect_nwbfile, load_config  # noqa: E402
from pynwb import NWBHDF5IO, validate  # noqa: E402


def plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # an h5py dataset
        return plain(value[()])
    return value


def validation(path):
    """The namespaces validated against and the errors, as described above."""
    with h5py.File(path, "r") as f:
        cached = sorted(f["specifications"].keys()) if "specifications" in f else []
    with NWBHDF5IO(path, "r", load_namespaces=True) as io:
        catalog = io.manager.namespace_catalog
        included = {
            entry["namespace"]
            for name in cached
            for entry in catalog.get_namespace(name)["schema"]
            if "namespace" in entry
        }
        # pynwb's cached-namespace mode leaves hdmf-experimental out too.
        namespaces = [n for n in cached if n not in included and n != "hdmf-experimental"] or ["core"]
        errors = [str(e) for namespace in namespaces for e in validate(io=io, namespace=namespace)]
    return namespaces, errors


def cached_validation(path):
    try:
        errors, status = validate(paths=[path])
    except Exception as error:  # noqa: BLE001 - what it stops with is the finding
        return {"exception": f"{type(error).__name__}: {error}"}
    return {"errors": [str(e) for e in errors], "status": status}


def main(path, dandi):
    namespaces, errors = validation(path)
    report = {
        "validation": errors,
        "validated_namespaces": namespaces,
        "cached_validation": cached_validation(path),
    }
    with NWBHDF5IO(path, "r", load_namespaces=True) as io:
        nwb = io.read()
        series = {}
        for name, s in nwb.acquisition.items():
            entry = {"type": type(s).__name__, "shape": list(np.asarray(s.data).shape)}
            if s.timestamps is not None:
                entry["timestamps"] = len(s.timestamps)
            else:
                entry["starting_time"], entry["rate"] = s.starting_time, s.rate
            if getattr(s, "external_file", None) is not None:
                entry["external_file"] = plain(list(s.external_file))
                entry["object_id"] = s.object_id
            if type(s).__name__ == "OnePhotonSeries":
                entry["device"] = s.imaging_plane.device.name
                entry["frame_sums"] = [int(np.asarray(s.data[0]).sum()), int(np.asarray(s.data[-1]).sum())]
            series[name] = entry
        devices = {
            name: {"type": type(d).__name__, "module": type(d).__module__,
                   "fields": {k: plain(v) for k, v in d.fields.items()}}
            for name, d in nwb.devices.items()
        }
        subject = None if nwb.subject is None else {
            k: plain(v) for k, v in nwb.subject.fields.items()
        }
        general = {
            key: plain(getattr(nwb, key))
            for key in ["experimenter", "session_id", "institution", "lab", "keywords",
                        "experiment_description", "session_description", "identifier"]
            if getattr(nwb, key) is not None
        }
        report["objects"] = {"series": series, "devices": devices, "subject": subject, "general": general}
    config = load_config(filepath_or_keyword="dandi") if dandi else None
    report["inspector"] = [
        {"importance": m.importance.name, "check": m.check_function_name,
         "location": m.location, "message": m.message}
        for m in inspect_nwbfile(nwbfile_path=path, config=config, skip_validate=True)
    ]
    print(json.dumps(report))


main(sys.argv[1], "--dandi" in sys.argv[2:])
