/**
 * An HDF5 file open for reading through h5wasm's Node.js build: read-only, straight from disk
 * (HDF5 reads the parts it needs, never the whole file), with every call's failure turned into
 * one error naming the file.
 *
 * @module
 */

import type { Dataset, File as H5File, Group } from "h5wasm/node";
import { MalformedRecordingError } from "../../errors.ts";
import { checkUnchanged, explainFsError, statOf, versionOf } from "../../files.ts";
import type { FileVersion } from "../../model.ts";
import { loadH5wasm, quietHdf5 } from "../hdf5.ts";

/** The HDF5 signature: at offset 0, or at 512, 1024, 2048, ... after a user block. */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** The part of h5wasm's module the reader calls directly: names under a group, recursively. */
interface H5Module {
  get_names(fileId: bigint, path: string, recursive: boolean): string[];
  get_plugin_search_paths(): string[];
  remove_plugin_search_path(index: number): number;
}

let pluginsOff = false;

/**
 * Whether `path` starts with the HDF5 signature where HDF5 looks for it.
 *
 * @param path The file.
 * @param size Its size in bytes.
 * @returns `true` for an HDF5 file.
 */
export async function hasHdf5Signature(path: string, size: number): Promise<boolean> {
  const file = await Deno.open(path, { read: true });
  try {
    const bytes = new Uint8Array(SIGNATURE.length);
    for (let offset = 0; offset + bytes.length <= size; offset = offset === 0 ? 512 : offset * 2) {
      await file.seek(offset, Deno.SeekMode.Start);
      let got = 0;
      while (got < bytes.length) {
        const n = await file.read(bytes.subarray(got));
        if (n === null) break;
        got += n;
      }
      if (got === bytes.length && SIGNATURE.every((b, i) => bytes[i] === b)) return true;
    }
    return false;
  } finally {
    file.close();
  }
}

/** An HDF5 file open for reading; every call goes through {@linkcode Hdf5File.call}. */
export class Hdf5File {
  /** The path given, as errors name it. */
  readonly path: string;
  /** The version the file had when opened: reads refuse a file changed since. */
  readonly version: FileVersion;
  readonly #file: H5File;
  readonly #module: H5Module;
  #open = true;

  private constructor(path: string, version: FileVersion, file: H5File, module: H5Module) {
    this.path = path;
    this.version = version;
    this.#file = file;
    this.#module = module;
  }

  /**
   * Opens a file read-only.
   *
   * @param path The file.
   * @returns The open file.
   * @throws {Deno.errors.NotFound} When it does not exist.
   * @throws {Deno.errors.NotCapable} When the script may not read it (naming the flag).
   * @throws {MalformedRecordingError} When it is not a file, not HDF5, or HDF5 cannot open it.
   */
  static async open(path: string): Promise<Hdf5File> {
    const info = await statOf(path, "NWB file");
    if (!info.isFile) throw new MalformedRecordingError(path, "it is not a file");
    let signed: boolean;
    try {
      signed = await hasHdf5Signature(path, info.size);
    } catch (error) {
      throw explainFsError(error, path, "NWB file");
    }
    if (!signed) {
      throw new MalformedRecordingError(
        path,
        "it is not an HDF5 file (NWB files are HDF5: no HDF5 signature found)",
      );
    }
    const h5wasm = await loadH5wasm();
    const module = h5wasm.Module as unknown as H5Module;
    if (!pluginsOff) {
      // HDF5 looks for filter and driver plugins in the folders of the machine it was built
      // on (a file it cannot open, a filter it lacks): reading there needs permissions beyond
      // the file's folder, and no plugin is shipped, so it looks nowhere.
      while (module.get_plugin_search_paths().length > 0) module.remove_plugin_search_path(0);
      pluginsOff = true;
    }
    let file: H5File;
    try {
      file = quietHdf5(() => new h5wasm.File(path, "r"));
    } catch (error) {
      throw new MalformedRecordingError(
        path,
        `HDF5 cannot open it (${(error as Error).message})`,
        { cause: error },
      );
    }
    if (file.file_id < 0n) {
      throw new MalformedRecordingError(path, "HDF5 cannot open it");
    }
    return new Hdf5File(path, versionOf(info), file, module);
  }

  /**
   * Runs h5wasm calls on the file, HDF5's own report kept from the terminal.
   *
   * @param what What the calls do, for the error: `reading frame 3 of "/acquisition/x"`.
   * @param run The calls.
   * @returns What `run` gives.
   * @throws {MalformedRecordingError} `Cannot read "<file>": <what> failed: <cause>`.
   */
  call<T>(what: string, run: (root: H5File) => T): T {
    if (!this.#open) throw new Error(`Cannot read "${this.path}": it was closed`);
    try {
      return quietHdf5(() => run(this.#file));
    } catch (error) {
      if (error instanceof MalformedRecordingError) throw error;
      throw new MalformedRecordingError(
        this.path,
        `${what} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Every link under the root, recursively, as paths without a leading slash. */
  names(): string[] {
    return this.call(
      "listing its objects",
      (root) => this.#module.get_names(root.file_id, "/", true),
    );
  }

  /**
   * Checks that the file is still the version opened: HDF5 keeps parts of it in memory.
   *
   * @throws {MalformedRecordingError} When it changed.
   * @throws {Deno.errors.NotFound} When it no longer exists.
   */
  async checkUnchanged(): Promise<void> {
    await checkUnchanged(this.path, { version: this.version, path: this.path });
  }

  /** Closes the file; later calls fail. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    quietHdf5(() => this.#file.close());
  }
}

/** A group or dataset of the file. */
export type Hdf5Object = Group | Dataset;
