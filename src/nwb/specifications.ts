/**
 * The extension schemas a file uses, cached in it under `/specifications` as pynwb caches an
 * extension: `/specifications/<namespace>/<version>/namespace` holds the namespace as JSON text
 * and one dataset per source of the namespace holds that source's types (variable-length UTF-8
 * strings), and the root attribute `.specloc` refers to `/specifications`. Readers load the
 * extension types from there (pynwb's `load_namespaces`), with no extension installed.
 *
 * Only extensions are cached, not the NWB core schema or hdmf-common that they build on:
 * pynwb resolves those from the core namespace it ships. pynwb's validator in its
 * cached-namespace mode (`nwb-validate`, hence `dandi validate`) expects the core namespace
 * in the file as well, and reports such a file as lacking it; validated against pynwb's own
 * core plus the cached extension (`pynwb.validate(io=...)` with the namespaces loaded), it is
 * valid.
 *
 * @module
 */

import type { File as H5wasmFile, Group } from "h5wasm/node";

/** A namespace and the sources of its types, in the form written to `/specifications`. */
export interface CachedNamespace {
  /** The namespace name, such as `ndx-miniscope`. */
  name: string;
  /** Its version, the group name under `/specifications/<name>`. */
  version: string;
  /** The namespace (name, version, doc, schema list), stored as `{"namespaces": [it]}`. */
  namespace: Record<string, unknown>;
  /** Each source of the namespace's `schema` list by name, with the types it defines. */
  sources: Record<string, unknown>;
}

/** Writes each namespace under `/specifications` and points the root's `.specloc` at it. */
export function writeSpecifications(file: H5wasmFile, namespaces: CachedNamespace[]): void {
  if (namespaces.length === 0) return;
  const specifications = file.create_group("specifications");
  file.create_attribute(".specloc", specifications.create_reference(), null, "Reference");
  for (const cached of namespaces) {
    const named = (specifications.get(cached.name) as Group | null) ??
      specifications.create_group(cached.name);
    const version = named.create_group(cached.version);
    const text = (name: string, value: unknown) =>
      version.create_dataset({ name, data: JSON.stringify(value), dtype: "S" });
    text("namespace", { namespaces: [cached.namespace] });
    for (const [source, types] of Object.entries(cached.sources)) text(source, types);
  }
}
