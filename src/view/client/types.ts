/**
 * The types the viewer page's modules share: what `/api/info` describes, the pictures shown,
 * and what a panel is given. Types only: nothing of this module is sent to the browser.
 *
 * @module
 */

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
  /** Whether `/api/orientation` has its head orientation. */
  orientation: boolean;
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

/** The `common` module: small helpers. */
export interface Common {
  /** The page's element `#id`; throws when there is none. */
  element<T extends HTMLElement = HTMLElement>(id: string): T;
  /** Shows a problem in the status line (and the console); "" clears it. */
  status(message: string): void;
  /** The index of the last of `values` at or before `t` (0 before the first). */
  nearestAtOrBefore(values: Float64Array, t: number): number;
  /** The index of the value of `values` nearest to `t`. */
  nearest(values: Float64Array, t: number): number;
  /** The time stamps of a device, in seconds. */
  timestamps(device: number): Promise<Float64Array>;
  /** Has the server compute the projections of a device, showing its progress; throws if they fail. */
  computeProjections(device: number): Promise<void>;
  /**
   * Readies a plot over the frames of a recording: canvas `#id` sized to the width of `#box`
   * and `height`, cleared to white; `x` places a sample index (fractional too) on it.
   */
  timePlot(id: string, box: string, height: number, samples: number): TimePlot;
  /** The stored values of frame `index` of a device (`/api/values`), as their data type. */
  storedValues(device: number, index: number, dtype: string): Promise<ArrayLike<number | bigint>>;
}

/** A plot over the frames, from {@linkcode Common.timePlot}. */
export interface TimePlot {
  canvas: HTMLCanvasElement;
  context: CanvasRenderingContext2D;
  width: number;
  x(sample: number): number;
}

/** A canvas showing pictures, from the `pictures` module. */
export interface View {
  readonly canvas: HTMLCanvasElement;
  /** Whether pictures go through the contrast limits (and gray ones the colour map). */
  readonly contrast: boolean;
  /** The picture shown, or null before the first. */
  picture: Picture | null;
  /** Shows a picture, or draws the one shown again. */
  draw(picture?: Picture | null): void;
}

/** The `pictures` module: PNG decoding and views that share contrast and zoom. */
export interface Pictures {
  /** Decodes a PNG answer to its values, exactly; a failed answer throws its error. */
  decodePng(response: Response, colour: boolean): Promise<Picture>;
  /** A view of canvas `#canvasId`, the value under the mouse in `#readoutId`. */
  View: new (canvasId: string, readoutId: string, contrast: boolean) => View;
  /** Sets the contrast limits and colour map of every view with contrast, and redraws. */
  setContrast(map: string, low: number, high: number): void;
  /** Sets the zoom of every view, and redraws. */
  setZoom(zoom: number): void;
}

/** The frames of one device, from the `frames` module. */
export interface Frames {
  readonly device: number;
  /** The frame last asked for, or -1. */
  wanted: number;
  /** Receives each frame wanted once it is there. */
  onFrame: (index: number, picture: Picture) => void;
  /** Asks for a frame: at once from the cache, else once fetched. */
  show(index: number): void;
}

/** The `frames` module. */
export interface FramesModule {
  Frames: new (device: DeviceInfo) => Frames;
  /** Which way the page moves: 1 forward, -1 backward; every device reads ahead that way. */
  travel: { direction: number };
}

/** The `viewer` module. */
export interface ViewerModule {
  /** Runs the page: the panels are set up in order, then frame 0 is shown. */
  start(panels: Panel[]): void;
}

/** The modules of the page, by the name each is served and passed under. */
export interface ClientModules {
  common: Common;
  pictures: Pictures;
  frames: FramesModule;
  viewer: ViewerModule;
}

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
