/**
 * The types the viewer page's modules share: what `/api/info` describes, the pictures shown,
 * and what a panel is given. Types only: nothing of this module is sent to the browser.
 *
 * @module
 */

import type { commonModule } from "./common.ts";
import type { framesModule } from "./frames.ts";
import type { picturesModule } from "./pictures.ts";
import type { viewerModule } from "./viewer.ts";

/** A gap in the time stamps, as `/api/info` gives it. */
export interface Gap {
  afterSample: number;
  missing: number;
  intervalMs?: number;
}

/** A device, as `/api/info` gives it. */
export interface DeviceInfo {
  id: number;
  name: string;
  camera: boolean;
  channels: number;
  samples: number;
  shape: [number, number];
  frequency: number;
  files: { name: string; firstSample: number; frames: number }[];
  drops: { count: number; medianIntervalMs: number; gaps: Gap[] } | null;
  metadata: Record<string, unknown> | null;
  /** For a series of an NWB file: how the file describes it. */
  series?: SeriesInfo;
}

/** A series of an NWB file, as `/api/info` describes it. */
export interface SeriesInfo {
  path: string;
  type: string;
  dtype: string;
  unit: string;
  device: string | null;
  imagingPlane: string | null;
  plane?: number;
  planes?: number;
  /** How stored values map to the 8-bit values shown, or null when shown as they are. */
  display: { low: number; high: number } | null;
}

/** What `/api/info` gives. */
export interface Info {
  folder: string;
  session: Record<string, unknown> | null;
  devices: DeviceInfo[];
}

/**
 * Pixels of one picture, row-major: gray values for a gray device, RGBA for a colour camera
 * (whatever the content of the picture: a colour frame may happen to be gray).
 */
export type Picture =
  & { width: number; height: number }
  & ({ gray: Uint8ClampedArray; rgba: null } | { gray: null; rgba: Uint8ClampedArray });

/** The modules of the page, by the name each is served and passed under. */
export interface ClientModules {
  common: ReturnType<typeof commonModule>;
  pictures: ReturnType<typeof picturesModule>;
  frames: ReturnType<typeof framesModule>;
  viewer: ReturnType<typeof viewerModule>;
}

/** A canvas showing pictures, from the `pictures` module. */
export type View = InstanceType<ClientModules["pictures"]["View"]>;

/** The frames of one device, from the `frames` module. */
export type Frames = InstanceType<ClientModules["frames"]["Frames"]>;

/** What the page gives each panel: the device shown and the ways to move through it. */
export interface Viewer {
  /** What `/api/info` gave. */
  info: Info;
  /** The device in the main view: the one the page's `?device=` names, else the first. */
  main: DeviceInfo;
  /** Its time stamps in seconds. */
  times: Float64Array;
  /** The main view. */
  view: View;
  /** Its frames; `wanted` is the frame last asked for. */
  frames: Frames;
  /** Shows a frame of the main device (rounded and kept in range). */
  go(index: number): void;
  /** The frame last shown. */
  current(): number;
  /** Calls `listener` with each frame shown, after it is drawn. */
  onShow(listener: (index: number) => void): void;
}

/** A part of the page: set up once, in order, before the first frame is shown. */
export type Panel = (viewer: Viewer) => void | Promise<void>;
