/**
 * The NumPy `.npy` format, version 1.0: a short header describing dtype and shape, then the
 * raw C-order data. Simple enough to write directly, and readable with
 * `numpy.load(path, mmap_mode="r")`.
 *
 * @module
 */

/**
 * The header of an `.npy` file, padded so the data starts on a 64-byte boundary.
 *
 * @param descr The NumPy dtype string, such as `"|u1"` or `"<f8"`.
 * @param shape The array shape.
 * @returns The header bytes.
 */
export function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  if (total - 10 > 0xffff) throw new RangeError("The .npy header is too long for version 1.0");
  const header = new Uint8Array(total);
  header.set([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0]);
  new DataView(header.buffer).setUint16(8, total - 10, true);
  header.set(new TextEncoder().encode(dict.padEnd(total - 10 - 1, " ") + "\n"), 10);
  return header;
}

/**
 * A whole `.npy` file of float64 values.
 *
 * @param values The values.
 * @returns The file bytes.
 */
export function npyFloat64(values: Float64Array): Uint8Array {
  const header = npyHeader("<f8", [values.length]);
  const out = new Uint8Array(header.length + values.byteLength);
  out.set(header);
  const view = new DataView(out.buffer, header.length);
  values.forEach((value, i) => view.setFloat64(i * 8, value, true));
  return out;
}
