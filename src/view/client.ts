/**
 * The viewer page's script, as ES modules the server sends: `/app.js`, which starts the page,
 * and `/client/<name>.js` for each module under `client/`.
 *
 * Each module is one TypeScript function, type-checked with the package, whose compiled source
 * (`toString()`) is the module's body: so the page needs no build step and no network, and
 * its CSP keeps scripts to the server's own. The function refers to nothing outside its own
 * body and parameter; its parameter holds the modules it names in {@linkcode CLIENT_MODULES},
 * which the served module imports. A new panel is a new module: a function returning a
 * `Panel` (`client/types.ts`), listed here and in {@linkcode PANELS}.
 *
 * @module
 */

import { cameraPanel } from "./client/camera_panel.ts";
import { commonModule } from "./client/common.ts";
import { dffPanel } from "./client/dff_panel.ts";
import { devicesPanel } from "./client/devices_panel.ts";
import { displayPanel } from "./client/display_panel.ts";
import { framesModule } from "./client/frames.ts";
import { intervalsPanel } from "./client/intervals_panel.ts";
import { notesPanel } from "./client/notes_panel.ts";
import { orientationPanel } from "./client/orientation_panel.ts";
import { picturesModule } from "./client/pictures.ts";
import { playbackPanel } from "./client/playback_panel.ts";
import { projectionsPanel } from "./client/projections_panel.ts";
import { readoutPanel } from "./client/readout_panel.ts";
import { tracesPanel } from "./client/traces_panel.ts";
import type { ClientModules } from "./client/types.ts";
import { viewerModule } from "./client/viewer.ts";

/** A module of the page: its name, the modules it takes, and its body. */
interface ClientModule {
  name: string;
  uses: readonly string[];
  body: (modules: never) => unknown;
}

/** A module whose body takes exactly the modules it names (checked by the compiler). */
function clientModule<K extends keyof ClientModules>(
  name: string,
  uses: readonly K[],
  body: (modules: Pick<ClientModules, K>) => unknown,
): ClientModule {
  return { name, uses, body };
}

/** Every module of the page, each after the modules it takes. */
export const CLIENT_MODULES: readonly ClientModule[] = [
  clientModule("common", [], commonModule),
  clientModule("pictures", ["common"], picturesModule),
  clientModule("frames", ["common", "pictures"], framesModule),
  clientModule("viewer", ["common", "pictures", "frames"], viewerModule),
  clientModule("devices_panel", ["common"], devicesPanel),
  clientModule("readout_panel", ["common"], readoutPanel),
  clientModule("display_panel", ["common", "pictures"], displayPanel),
  clientModule("camera_panel", ["common", "pictures", "frames"], cameraPanel),
  clientModule("projections_panel", ["common", "pictures"], projectionsPanel),
  clientModule("intervals_panel", ["common"], intervalsPanel),
  clientModule("playback_panel", ["common"], playbackPanel),
  clientModule("traces_panel", ["common"], tracesPanel),
  clientModule("dff_panel", ["common"], dffPanel),
  clientModule("notes_panel", ["common"], notesPanel),
  clientModule("orientation_panel", ["common"], orientationPanel),
];

/** The modules that are panels (each gives a `Panel`), in the order they are set up. */
export const PANELS: readonly string[] = [
  "devices_panel",
  "readout_panel",
  "display_panel",
  "camera_panel",
  "projections_panel",
  "intervals_panel",
  "playback_panel",
  "traces_panel",
  "dff_panel",
  "notes_panel",
  "orientation_panel",
];

/**
 * The page's scripts by URL path: `/app.js` and `/client/<name>.js`.
 *
 * @returns Each script's text.
 */
export function clientScripts(): Map<string, string> {
  const scripts = new Map<string, string>();
  for (const module of CLIENT_MODULES) {
    const imports = module.uses.map((name) => `import ${name} from "./${name}.js";\n`).join("");
    scripts.set(
      `/client/${module.name}.js`,
      `${imports}export default (${module.body.toString()})({ ${module.uses.join(", ")} });\n`,
    );
  }
  const panels = PANELS.map((name) => `import ${name} from "./client/${name}.js";\n`).join("");
  scripts.set(
    "/app.js",
    `import viewer from "./client/viewer.js";\n${panels}viewer.start([${PANELS.join(", ")}]);\n`,
  );
  return scripts;
}
