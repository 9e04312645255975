// Reading NWB files: files written by pynwb (and h5py) in the test, and files this module
// writes, read through h5wasm and compared with what pynwb was given, or with an independent
// ffmpeg decode of the raw recording.
import { join } from "node:path";
import assert, { deepStrictEqual, rejects, throws } from "node:assert/strict";
import { MalformedRecordingError, MiniscopeImagingExtractor, MiniscopeSession } from "../mod.ts";
import { NwbImagingFile, writeNwb } from "../src/nwb/mod.ts";
import { FIXTURES } from "../testdata/make_fixtures.ts";
import { assertBytesEqual, errorWith, ffmpegDecodeAll, SAMPLE, TESTDATA } from "./_helpers.ts";
import { bytesOf, canWritePynwb, writePynwbFiles } from "./_nwb_pynwb.ts";

const SESSION = join(TESTDATA, FIXTURES.sample.session);

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "miniscope_nwb_read_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "pynwb's files: the imaging series are listed and read exactly, rows by columns as recorded",
  ignore: !canWritePynwb,
  async fn(t) {
    const files = await writePynwbFiles();
    try {
      await t.step(
        "the series of the file are listed with their shape, type, unit, device, plane and timing",
        async () => {
          await using file = await NwbImagingFile.open(join(files.dir, "pynwb.nwb"));
          deepStrictEqual(file.fields, {
            identifier: "pynwb-brief",
            sessionDescription: "reader test",
            sessionStartTime: "2024-01-02T03:04:05+00:00",
          });
          deepStrictEqual(file.skipped, []);
          const [images, onePhoton] = file.series;
          deepStrictEqual(onePhoton, {
            path: "/acquisition/OnePhotonSeries",
            name: "OnePhotonSeries",
            type: "OnePhotonSeries",
            shape: [12, 10, 6],
            frames: 12,
            rows: 6,
            cols: 10,
            planes: 1,
            channels: 1,
            dtype: "uint16",
            unit: "n.a.",
            conversion: 1,
            offset: 0,
            description: "no description",
            comments: "no comments",
            device: "Miniscope",
            imagingPlane: "ImagingPlane",
            timing: { kind: "timestamps", count: 12 },
            chunks: [1, 10, 6],
            filters: ["deflate"],
          });
          deepStrictEqual(images!.path, "/acquisition/ImageSeries");
          deepStrictEqual(images!.description, "contiguous uint16");
          deepStrictEqual(images!.timing, { kind: "rate", startingTime: 5, rate: 7.5 });
          deepStrictEqual([images!.chunks, images!.filters, images!.device], [null, [], null]);
        },
      );

      await t.step(
        "every series of every file reads as the raw frames given to pynwb, with their time stamps",
        async () => {
          for (const [name, series] of Object.entries(files.expected)) {
            await using file = await NwbImagingFile.open(join(files.dir, name));
            for (const [key, entry] of Object.entries(series)) {
              const [path, plane] = key.split("#");
              const what = `${name} ${key}`;
              const reader = file.openSeries(path!, { plane: Number(plane ?? 0) });
              deepStrictEqual(reader.getDtype(), entry.dtype, what);
              deepStrictEqual(reader.getSampleShape(), entry.shape.slice(1), what);
              const raw = await files.bytesOf(entry);
              const all = await reader.getSeries();
              deepStrictEqual(all.shape, entry.shape, what);
              assertBytesEqual(bytesOf(all.data), raw, `${what}: getSeries()`);
              deepStrictEqual(Array.from(reader.getTimestamps()), entry.timestamps, what);
              // Frames one at a time, in an order that jumps across chunks.
              const n = entry.shape[0]!;
              const size = raw.length / n;
              const order = Array.from({ length: n }, (_, i) => (i * 5 + 3) % n);
              const some = await reader.getSamples(order);
              order.forEach((k, i) =>
                assertBytesEqual(
                  bytesOf(some.data).subarray(i * size, (i + 1) * size),
                  raw.subarray(k * size, (k + 1) * size),
                  `${what}: frame ${k} by getSamples()`,
                )
              );
              let k = 2;
              for await (const frame of reader.stream({ start: 2, end: n })) {
                deepStrictEqual([frame.index, frame.timestamp], [k, entry.timestamps[k]], what);
                assertBytesEqual(
                  bytesOf(frame.data),
                  raw.subarray(k * size, (k + 1) * size),
                  `${what}: frame ${k} by stream()`,
                );
                k++;
              }
              deepStrictEqual(k, n, what);
            }
          }
        },
      );

      await t.step(
        "4D planes, colour, an extension's type, an external file and hard links are told apart",
        async () => {
          await using kinds = await NwbImagingFile.open(join(files.dir, "kinds.nwb"));
          deepStrictEqual(
            kinds.series.map((s) => [s.path, s.type, s.dtype, s.planes, s.channels, s.device]),
            [
              ["/acquisition/Custom", "CustomSeries", "uint8", 1, 1, "Microscope"],
              ["/acquisition/Signed", "ImageSeries", "int16", 1, 1, null],
              ["/acquisition/TwoPhotonSeries", "TwoPhotonSeries", "uint8", 1, 1, "Microscope"],
              ["/acquisition/Volume", "TwoPhotonSeries", "float32", 3, 1, "Microscope"],
              ["/stimulus/presentation/Colour", "ImageSeries", "uint8", 1, 3, null],
            ],
          );
          deepStrictEqual(kinds.skipped, [{
            path: "/acquisition/External",
            type: "ImageSeries",
            reason: "its frames are in external files (behaviour.avi), not in the NWB file",
          }]);
          throws(
            () => kinds.openSeries("/acquisition/External"),
            errorWith(RangeError, "its frames are in external files (behaviour.avi)"),
          );
          throws(
            () => kinds.openSeries("/acquisition/Volume", { plane: 3 }),
            errorWith(RangeError, "Plane 3 is out of range"),
          );
          throws(
            () => kinds.openSeries("/acquisition/Nothing"),
            errorWith(RangeError, `has no imaging series "/acquisition/Nothing"`),
          );
          await using hard = await NwbImagingFile.open(join(files.dir, "hard_links.nwb"));
          const onePhoton = hard.series.find((s) => s.type === "OnePhotonSeries")!;
          deepStrictEqual([onePhoton.device, onePhoton.imagingPlane], [
            "Miniscope",
            "ImagingPlane",
          ]);
        },
      );

      await t.step("a file without imaging series lists none", async () => {
        await using file = await NwbImagingFile.open(join(files.dir, "no_imaging.nwb"));
        deepStrictEqual([file.series, file.skipped], [[], []]);
      });
    } finally {
      await Deno.remove(files.dir, { recursive: true });
    }
  },
});

Deno.test("an NWB file of this module reads back as the raw recording: frames byte for byte with an ffmpeg decode, and time stamps", async () => {
  await withTemp(async (dir) => {
    const raw = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE, onWarning() {} });
    const decoded = await ffmpegDecodeAll(raw.getFilePaths());
    const session = await MiniscopeSession.open(SESSION, { onWarning() {} });
    for (const compression of ["gzip", "none"] as const) {
      const out = join(dir, `${compression}.nwb`);
      await writeNwb(session, out, { compression, onWarning() {} });
      await using file = await NwbImagingFile.open(out);
      // The head orientation is a TimeSeries, not imaging; the camera-less sample has no video.
      deepStrictEqual(file.series.map((s) => [s.path, s.device]), [
        ["/acquisition/OnePhotonSeries", "Miniscope"],
      ]);
      const series = file.openSeries("/acquisition/OnePhotonSeries");
      deepStrictEqual(series.getImageShape(), raw.getImageShape());
      const { data, shape } = await series.getSeries();
      deepStrictEqual(shape, [raw.getNumSamples(), ...raw.getImageShape()]);
      assertBytesEqual(data as Uint8Array, decoded, `${compression}: every frame`);
      deepStrictEqual(series.getTimestamps(), raw.getTimestamps());
    }
  });
});

Deno.test("a missing, non-HDF5 or truncated file, a damaged chunk and a file changed after opening give errors naming the file", async () => {
  await withTemp(async (dir) => {
    await rejects(
      NwbImagingFile.open(join(dir, "missing.nwb")),
      errorWith(Deno.errors.NotFound, `"${join(dir, "missing.nwb")}": it does not exist`),
    );
    const text = join(dir, "notes.nwb");
    await Deno.writeTextFile(text, "not an NWB file\n");
    await rejects(
      NwbImagingFile.open(text),
      errorWith(MalformedRecordingError, `Cannot read "${text}": it is not an HDF5 file`),
    );
    await rejects(
      NwbImagingFile.open(dir),
      errorWith(MalformedRecordingError, `Cannot read "${dir}": it is not a file`),
    );

    const good = join(dir, "good.nwb");
    const extractor = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE, onWarning() {} });
    await writeNwb(extractor, good, { onWarning() {}, sessionStartTime: "2022-09-19T09:18:41Z" });
    const bytes = await Deno.readFile(good);
    const truncated = join(dir, "truncated.nwb");
    await Deno.writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await rejects(
      NwbImagingFile.open(truncated),
      errorWith(
        MalformedRecordingError,
        `Cannot read "${truncated}": HDF5 cannot open it (HDF5: truncated file`,
      ),
    );

    // The chunk of frame 10, found by its place in the file: the frame's compressed bytes.
    const damaged = join(dir, "damaged.nwb");
    const series = await (async () => {
      await using file = await NwbImagingFile.open(good);
      return file.series[0]!;
    })();
    deepStrictEqual(series.filters, ["deflate"]);
    const copy = bytes.slice();
    const offset = await chunkOffset(good, series.path, 10);
    for (let i = 2; i < 12; i++) copy[offset + i]! ^= 0xff;
    await Deno.writeFile(damaged, copy);
    {
      await using file = await NwbImagingFile.open(damaged);
      const reader = file.openSeries(series.path);
      await reader.getSamples([9]);
      await rejects(
        reader.getSamples([10]),
        errorWith(
          MalformedRecordingError,
          `Cannot read "${damaged}": reading frames 10 to 10 of "/acquisition/OnePhotonSeries" failed: HDF5:`,
        ),
      );
    }

    {
      await using file = await NwbImagingFile.open(good);
      const reader = file.openSeries(series.path);
      await reader.getSamples([0]);
      await Deno.writeFile(good, bytes);
      await rejects(
        reader.getSamples([1]),
        errorWith(MalformedRecordingError, `Cannot read "${good}": it changed after`),
      );
    }
  });
});

/** The byte offset of the chunk holding frame `frame` of a one-frame-per-chunk dataset, by h5py. */
async function chunkOffset(path: string, series: string, frame: number): Promise<number> {
  const output = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import h5py, sys; d = h5py.File(sys.argv[1])[sys.argv[2] + '/data']; " +
      "print(d.id.get_chunk_info_by_coord((int(sys.argv[3]), 0, 0)).byte_offset)",
      path,
      series,
      String(frame),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(output.success, new TextDecoder().decode(output.stderr));
  return Number(new TextDecoder().decode(output.stdout));
}
