/**
 * The Miniscope device as the NWB extension ndx-miniscope defines it (type `Miniscope` in
 * namespace `ndx-miniscope` 0.5.1, a `Device` with the settings of the acquisition software as
 * attributes and the recorded sensor region as dataset `ROI`), the type neuroconv writes. The
 * type, its field names and dtypes are the extension's; the descriptions are this module's own.
 * The specification is cached in every file that holds such a device, so readers need not
 * install the extension; it builds on the NWB core namespace, which the file does not cache.
 *
 * @module
 */

import type { DeviceMetadata } from "../formats/metadata_json.ts";
import type { Value } from "./hdf5.ts";
import type { CachedNamespace } from "./specifications.ts";

/** The extension's namespace name. */
export const MINISCOPE_NAMESPACE_NAME = "ndx-miniscope";
/** The extension's type name. */
export const MINISCOPE_TYPE = "Miniscope";

const SOURCE = "ndx-miniscope.extensions";

/** The extension's attributes of a `Miniscope`, each optional: name, dtype and doc. */
const ATTRIBUTES: [string, "text" | "int", string][] = [
  [
    "compression",
    "text",
    "The video codec of the frames, by its FourCC: FFV1 is lossless, GREY is raw.",
  ],
  [
    "deviceType",
    "text",
    "The device type of the acquisition software's configuration, such as " +
    "Miniscope_V4_BNO or Miniscope_V3.",
  ],
  ["frameRate", "text", "The frame rate setting as written, such as 30FPS."],
  ["framesPerFile", "int", "The most frames one video file holds."],
  [
    "gain",
    "text",
    "The sensor gain setting as written: a level such as Low, Medium or High, or a number.",
  ],
  ["led0", "int", "The excitation LED power, in percent (0 to 100)."],
  ["excitation", "int", "The excitation setting of a Miniscope V3."],
  ["msCamExposure", "int", "The sensor exposure setting of a Miniscope V3, 0 to 255."],
];

/** The ndx-miniscope namespace, written in this module's words. */
export const MINISCOPE_NAMESPACE: CachedNamespace = {
  name: MINISCOPE_NAMESPACE_NAME,
  version: "0.5.1",
  namespace: {
    name: MINISCOPE_NAMESPACE_NAME,
    version: "0.5.1",
    doc: "Settings of Miniscope head-mounted microscopes as their acquisition software " +
      "records them",
    author: "Ben Dichter",
    contact: "ben.dichter@catalystneuro.com",
    // The whole core namespace, as pynwb caches an extension (it drops the list of the core
    // types used): a validator checks the file against this namespace, which must then know
    // every core type, not only the Device the extension builds on. Core itself is not
    // cached: readers resolve it from the core namespace they ship.
    schema: [{ namespace: "core" }, { source: SOURCE }],
  },
  sources: {
    [SOURCE]: {
      groups: [{
        neurodata_type_def: MINISCOPE_TYPE,
        neurodata_type_inc: "Device",
        doc: "A Miniscope, with the settings its acquisition software recorded for the session.",
        attributes: ATTRIBUTES.map(([name, dtype, doc]) => ({ name, dtype, doc, required: false })),
        datasets: [{
          name: "ROI",
          dtype: "int",
          shape: [null],
          doc: "The recorded region of the sensor: its height and width in pixels.",
          quantity: "?",
        }],
      }],
    },
  },
};

/** What a `Miniscope` device holds beyond a `Device`: its attributes and `ROI`. */
export interface MiniscopeFields {
  /** The extension's attributes that the settings give, typed as the extension says. */
  attributes: Record<string, Value>;
  /** `[height, width]` of the recorded sensor region, or null when not recorded. */
  roi: [number, number] | null;
}

/** A whole number from a setting written as a number or as digits, else null. */
function integer(value: unknown): number | null {
  if (typeof value === "number") return Number.isInteger(value) ? value : null;
  if (typeof value === "string" && /^\s*\d+\s*$/.test(value)) return Number(value);
  return null;
}

/**
 * The `Miniscope` fields from a device `metaData.json`. A setting that is absent, or not of
 * the extension's type (a fractional LED power), is left out; the device description keeps
 * every setting as written.
 *
 * @param settings The device's metadata.
 * @returns The attributes and the region.
 */
export function miniscopeFields(settings: DeviceMetadata): MiniscopeFields {
  const attributes: Record<string, Value> = {};
  const text = (name: string, value: string | number | null) => {
    if (value !== null && String(value).trim() !== "") attributes[name] = { text: String(value) };
  };
  const int = (name: string, value: unknown) => {
    const whole = integer(value);
    if (whole !== null) attributes[name] = { int64: whole };
  };
  text("compression", settings.compression);
  text("deviceType", settings.deviceType);
  text("frameRate", settings.frameRate);
  int("framesPerFile", settings.framesPerFile);
  text("gain", settings.gain);
  int("led0", settings.led0);
  int("excitation", settings.extra.excitation);
  int("msCamExposure", settings.extra.msCamExposure);
  const roi = settings.roi;
  return { attributes, roi: roi ? [roi.height, roi.width] : null };
}
