"""Writes NWB files with pynwb (and h5py for layouts pynwb does not make), for the NWB reader
and viewer tests, and beside each file what every imaging series must read as.

Usage: PYTHONPATH=<validator>/src python3 _nwb_pynwb.py <folder>

Every series is made from "raw" frames of shape (frames, rows, cols), as a camera records them,
and stored the way NWB says and neuroconv does: transposed to (frames, x, y). <folder>/expected.json
lists, per file and series (and plane), the dtype, the raw shape, the time stamps and the name
of a file holding the raw frames as little-endian bytes: what a reader must show.
"""

import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import h5py
import numpy as np
from hdmf.backends.hdf5.h5_utils import H5DataIO
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.image import ImageSeries
from pynwb.ophys import OnePhotonSeries, OpticalChannel, TwoPhotonSeries

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
expected = {}


def new_file(identifier):
    return NWBFile(
        session_description="reader test",
        identifier=identifier,
        session_start_time=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )


def plane_of(nwb, name, device):
    channel = OpticalChannel(name="OpticalChannel", description="green", emission_lambda=525.0)
    return nwb.create_imaging_plane(
        name=name,
        optical_channel=channel,
        description="plane",
        device=device,
        excitation_lambda=470.0,
        imaging_rate=20.0,
        indicator="GCaMP6f",
        location="CA1",
    )


def record(file, path, raw, times, plane=None):
    """Notes what series `path` (plane `plane`) must read as: `raw`, with `times`."""
    key = f"{path}" if plane is None else f"{path}#{plane}"
    name = f"{file}{key}".replace("/", "_").replace("#", "_plane") + ".bin"
    frames = np.ascontiguousarray(raw)
    (out / name).write_bytes(frames.astype(frames.dtype.newbyteorder("<")).tobytes())
    expected.setdefault(file, {})[key] = {
        "dtype": str(frames.dtype),
        "shape": list(frames.shape),
        "timestamps": [float(t) for t in times],
        "bytes": name,
    }


def nwb_order(raw):
    """(frames, rows, cols[, ...]) as NWB stores it: (frames, x, y[, ...])."""
    return np.ascontiguousarray(np.swapaxes(raw, 1, 2))


# The file of the brief: a gzip-chunked uint16 OnePhotonSeries with time stamps (one frame
# dropped), and a contiguous uint16 ImageSeries with starting_time and rate.
T, ROWS, COLS = 12, 6, 10
t, r, c = np.meshgrid(np.arange(T), np.arange(ROWS), np.arange(COLS), indexing="ij")
one = ((t * 331 + r * 613 + c * 37) % 4096).astype(np.uint16)
one[0, 0, 0] = 4095  # a 12-bit sensor's top value: the display maps 0-4095 to 0-255
stamps = np.array([0.5 + 0.05 * i + (0.05 if i >= 7 else 0.0) for i in range(T)])
images = ((t * 7 + r * 1000 + c * 3000) % 65536).astype(np.uint16)

nwb = new_file("pynwb-brief")
scope = nwb.create_device(name="Miniscope", description="UCLA Miniscope v4")
plane = plane_of(nwb, "ImagingPlane", scope)
nwb.add_acquisition(
    OnePhotonSeries(
        name="OnePhotonSeries",
        data=H5DataIO(nwb_order(one), compression="gzip", chunks=(1, COLS, ROWS)),
        imaging_plane=plane,
        unit="n.a.",
        timestamps=stamps,
        binning=1,
    )
)
nwb.add_acquisition(
    ImageSeries(
        name="ImageSeries",
        data=nwb_order(images),
        unit="n.a.",
        starting_time=5.0,
        rate=7.5,
        description="contiguous uint16",
    )
)
with NWBHDF5IO(str(out / "pynwb.nwb"), "w") as io:
    io.write(nwb)
record("pynwb.nwb", "/acquisition/OnePhotonSeries", one, stamps)
record("pynwb.nwb", "/acquisition/ImageSeries", images, [5.0 + i / 7.5 for i in range(T)])

# Other layouts: chunks of several frames, a 4D series with planes, colour, signed values,
# frames in an external file (left out), and a frame of another series' time stamps.
T2, R2, C2, Z = 9, 5, 7, 3
t, r, c = np.meshgrid(np.arange(T2), np.arange(R2), np.arange(C2), indexing="ij")
two = ((t * 29 + r * 11 + c * 3) % 256).astype(np.uint8)
planes = np.stack([(t * 0.5 + r - c * 0.25 + z * 10).astype(np.float32) for z in range(Z)], axis=-1)
colour = np.stack([(t * 9 + r * 40 + c * 20 + k * 85) % 256 for k in range(3)], axis=-1).astype(np.uint8)
signed = ((t * 301 - r * 1200 + c * 977) % 30000 - 15000).astype(np.int16)
times2 = np.arange(T2) * 0.1 + 100.0

nwb = new_file("pynwb-kinds")
microscope = nwb.create_device(name="Microscope")
plane2 = plane_of(nwb, "ImagingPlane2", microscope)
two_photon = TwoPhotonSeries(
    name="TwoPhotonSeries",
    data=H5DataIO(nwb_order(two), compression="gzip", compression_opts=6, chunks=(4, C2, R2)),
    imaging_plane=plane2,
    unit="n.a.",
    timestamps=times2,
)
nwb.add_acquisition(two_photon)
nwb.add_acquisition(
    TwoPhotonSeries(
        name="Volume",
        data=H5DataIO(nwb_order(planes), compression="gzip", chunks=(1, C2, R2, 1)),
        imaging_plane=plane2,
        unit="a.u.",
        timestamps=two_photon,
    )
)
nwb.add_stimulus(
    ImageSeries(name="Colour", data=nwb_order(colour), unit="n.a.", starting_time=0.0, rate=2.0)
)
nwb.add_acquisition(
    ImageSeries(name="Signed", data=nwb_order(signed), unit="n.a.", timestamps=times2)
)
nwb.add_acquisition(
    ImageSeries(
        name="External",
        external_file=["behaviour.avi"],
        starting_frame=[0],
        format="external",
        unit="n.a.",
        rate=30.0,
    )
)
with NWBHDF5IO(str(out / "kinds.nwb"), "w") as io:
    io.write(nwb)
# A type of an extension derived from TwoPhotonSeries, known from the file's cached specification.
with h5py.File(out / "kinds.nwb", "a") as f:
    f.copy("/acquisition/TwoPhotonSeries", "/acquisition/Custom")
    f["/acquisition/Custom"].attrs["neurodata_type"] = "CustomSeries"
    f["/acquisition/Custom"].attrs["namespace"] = "ndx-custom"
    spec = f.create_group("/specifications/ndx-custom/0.1.0")
    text = h5py.string_dtype()
    extension = {"groups": [{"neurodata_type_def": "CustomSeries",
                             "neurodata_type_inc": "TwoPhotonSeries", "doc": "a test type"}]}
    spec.create_dataset("ndx-custom.extensions", data=json.dumps(extension), dtype=text)
    namespace = {"namespaces": [{"name": "ndx-custom", "version": "0.1.0",
                                 "schema": [{"namespace": "core"}, {"source": "ndx-custom.extensions"}]}]}
    spec.create_dataset("namespace", data=json.dumps(namespace), dtype=text)
record("kinds.nwb", "/acquisition/Custom", two, times2)
record("kinds.nwb", "/acquisition/TwoPhotonSeries", two, times2)
for z in range(Z):
    record("kinds.nwb", "/acquisition/Volume", planes[..., z], times2, plane=z)
record("kinds.nwb", "/stimulus/presentation/Colour", colour, [i / 2.0 for i in range(T2)])
record("kinds.nwb", "/acquisition/Signed", signed, times2)

# Hard links instead of soft ones (as some writers make them), and big-endian frames.
shutil.copy(out / "pynwb.nwb", out / "hard_links.nwb")
with h5py.File(out / "hard_links.nwb", "a") as f:
    series = f["/acquisition/OnePhotonSeries"]
    del series["imaging_plane"]
    series["imaging_plane"] = f["/general/optophysiology/ImagingPlane"]
    plane_group = f["/general/optophysiology/ImagingPlane"]
    del plane_group["device"]
    plane_group["device"] = f["/general/devices/Miniscope"]
    attrs = dict(series["data"].attrs)
    del series["data"]
    series.create_dataset("data", data=nwb_order(one).astype(">u2"), chunks=(1, COLS, ROWS),
                          compression="gzip")
    for key, value in attrs.items():
        series["data"].attrs[key] = value
record("hard_links.nwb", "/acquisition/OnePhotonSeries", one, stamps)
record("hard_links.nwb", "/acquisition/ImageSeries", images, [5.0 + i / 7.5 for i in range(T)])

# An NWB file without imaging: a TimeSeries only.
nwb = new_file("no-imaging")
nwb.add_acquisition(TimeSeries(name="Speed", data=np.arange(5.0), unit="m/s", rate=1.0))
with NWBHDF5IO(str(out / "no_imaging.nwb"), "w") as io:
    io.write(nwb)

(out / "expected.json").write_text(json.dumps(expected, indent=1))
