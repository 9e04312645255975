/**
 * Finding the sessions of a dataset: every folder under a root, at any depth, whose
 * `metaData.json` has a recording start time and which holds a device folder with videos.
 * Folders that look like recordings but are not sessions are reported with the reason; folders
 * that cannot be listed, broken links and link loops are reported too, and the walk never
 * follows a link to a folder it has already searched.
 *
 * @module
 */

import { basename, join, relative, sep } from "node:path";
import { explainFsError } from "../files.ts";
import { hasVideoFiles, isHidden, listFolder } from "../open/discovery.ts";
import { readMetadataFile, readSessionMetadataFile } from "../open/metadata.ts";
import { MiniscopeSession } from "../session.ts";

/** A session found. */
export interface FoundSession {
  /** The session folder, as reached from the root. */
  folder: string;
  /** The session, opened. */
  session: MiniscopeSession;
  /** Warnings about its folders (hidden files skipped, a device `metaData.json` broken). */
  warnings: string[];
}

/** A folder that was not taken as a session, and why. */
export interface PassedFolder {
  /** The folder. */
  folder: string;
  /** Why, as a sentence. */
  reason: string;
  /**
   * Whether this is a failure: a folder that could not be searched (sessions in it may have
   * been missed) or a session that could not be read. Otherwise a folder skipped on purpose.
   */
  failed: boolean;
}

/** What a search of a dataset found. */
export interface Discovery {
  /** The sessions, in path order. */
  sessions: FoundSession[];
  /** Everything else worth telling, in path order. */
  passed: PassedFolder[];
}

/** Options of {@linkcode discoverSessions}. */
export interface DiscoveryOptions {
  /** A folder not to search (the output folder, when it lies under the root). */
  exclude?: string;
  /** Stops the search. */
  signal?: AbortSignal;
}

/** Deeper than any acquisition layout: a guard against mounts that loop. */
const MAX_DEPTH = 64;
/** The video names of the acquisition software before 2020. */
const LEGACY_VIDEO = /^(msCam|behavCam)\d+\.avi$/i;
/** Keys only a session `metaData.json` has. */
const SESSION_KEYS = ["animalName", "researcherName", "experimentName", "miniscopes", "cameras"];
/** Keys only a device `metaData.json` has. */
const DEVICE_KEYS = ["deviceType", "deviceName", "deviceID", "deviceDirectory", "framesPerFile"];

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Where a link points, for messages; the link itself when that cannot be read. */
async function linkTarget(path: string): Promise<string> {
  try {
    return await Deno.readLink(path);
  } catch {
    return path;
  }
}

interface Visit {
  folder: string;
  /** Its path with every link resolved. */
  real: string;
  /** That of the folder holding it. */
  parentReal: string;
  depth: number;
  /** Whether it was reached through a link. */
  link: boolean;
}

/**
 * Searches a folder for sessions, at any depth. A session folder is not searched further;
 * nor is a folder that looks like a session or a device folder but is not one. Hidden entries
 * (names starting with ".") are passed over. A link to a folder is followed once: a link to a
 * folder already searched, or to one of its own parents, is reported and not followed again.
 *
 * @param root The folder to search.
 * @param options The folder to leave out, and a signal.
 * @returns The sessions and the other folders worth telling about.
 * @throws {Deno.errors.NotFound} When the root does not exist.
 * @throws {Deno.errors.NotCapable} When the root may not be read.
 */
export async function discoverSessions(
  root: string,
  options: DiscoveryOptions = {},
): Promise<Discovery> {
  const sessions: FoundSession[] = [];
  const passed: PassedFolder[] = [];
  const rootInfo = await Deno.stat(root).catch((error) => {
    throw explainFsError(error, root, "dataset folder");
  });
  if (!rootInfo.isDirectory) throw new TypeError(`"${root}" is not a folder`);
  const exclude = options.exclude === undefined
    ? undefined
    : await Deno.realPath(options.exclude).catch(() => undefined);
  const searched = new Map<string, string>(); // real path -> the path it was searched as
  const real = await Deno.realPath(root);
  // Folders first, links after: a folder is found under its own path, and a link to it is
  // told of as such.
  const folders: Visit[] = [{ folder: root, real, parentReal: real, depth: 0, link: false }];
  const links: Visit[] = [];
  while (folders.length > 0 || links.length > 0) {
    options.signal?.throwIfAborted();
    const visit = folders.pop() ?? links.pop()!;
    const known = searched.get(visit.real);
    if (known !== undefined) {
      const loop = visit.parentReal === visit.real ||
        visit.parentReal.startsWith(visit.real + sep);
      passed.push({
        folder: visit.folder,
        reason: loop
          ? `a link loop: it points to "${known}", a folder that holds it; not followed`
          : `a link to "${known}", which is searched already; not followed again`,
        failed: false,
      });
      continue;
    }
    if (exclude !== undefined && visit.real === exclude) continue;
    if (visit.depth > MAX_DEPTH) {
      passed.push({
        folder: visit.folder,
        reason: `more than ${MAX_DEPTH} folders deep below "${root}"; not searched`,
        failed: true,
      });
      continue;
    }
    searched.set(visit.real, visit.folder);
    const children = await searchFolder(visit, sessions, passed);
    // Depth first, in name order: the stack takes them in reverse.
    for (const child of children.reverse()) (child.link ? links : folders).push(child);
  }
  const byPath = (a: { folder: string }, b: { folder: string }) =>
    a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0;
  return { sessions: sessions.sort(byPath), passed: passed.sort(byPath) };
}

/** Looks at one folder: records it, and returns the subfolders to search. */
async function searchFolder(
  visit: Visit,
  sessions: FoundSession[],
  passed: PassedFolder[],
): Promise<Visit[]> {
  const { folder } = visit;
  let entries: Deno.DirEntry[];
  try {
    entries = await listFolder(folder, "folder", () => {});
  } catch (error) {
    const reason = error instanceof Deno.errors.PermissionDenied
      ? "Cannot search it: the file system does not let this user list it"
      : `Cannot search it: ${message(error)}`;
    passed.push({ folder, reason, failed: true });
    return [];
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const metadata = entries.find((entry) => entry.name === "metaData.json");
  if (metadata) {
    const verdict = await lookAtMetadata(folder, sessions);
    if (verdict.reason !== null) {
      passed.push({ folder, reason: verdict.reason, failed: verdict.failed });
    }
    if (!verdict.searchOn) return [];
  } else if (entries.some((entry) => entry.isFile && entry.name.toLowerCase().endsWith(".avi"))) {
    const legacy = entries.some((entry) => LEGACY_VIDEO.test(entry.name));
    passed.push({
      folder,
      reason: legacy
        ? "a recording of the acquisition software before 2020 (msCam1.avi, ...), which " +
          "convert does not read"
        : "it holds videos but no metaData.json, so it is neither a session nor a device folder",
      failed: false,
    });
  }
  const children: Visit[] = [];
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory) {
      children.push({
        folder: path,
        real: join(visit.real, entry.name),
        parentReal: visit.real,
        depth: visit.depth + 1,
        link: false,
      });
      continue;
    }
    if (!entry.isSymlink) continue;
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (error) {
      const target = await linkTarget(path);
      if (error instanceof Deno.errors.NotFound) {
        passed.push({ folder: path, reason: `a broken link to "${target}"`, failed: false });
      } else {
        passed.push({
          folder: path,
          reason: `Cannot search it: ${message(explainFsError(error, path, "link"))}`,
          failed: true,
        });
      }
      continue;
    }
    if (!info.isDirectory) continue;
    try {
      children.push({
        folder: path,
        real: await Deno.realPath(path),
        parentReal: visit.real,
        depth: visit.depth + 1,
        link: true,
      });
    } catch (error) {
      passed.push({
        folder: path,
        reason: `Cannot search it: ${message(explainFsError(error, path, "link"))}`,
        failed: true,
      });
    }
  }
  return children;
}

/** Whether a folder holds videos, or folders that hold videos. */
async function holdsRecordings(folder: string): Promise<boolean> {
  try {
    if (await hasVideoFiles(folder, true)) return true;
    for (const entry of await listFolder(folder, "folder", () => {})) {
      if (!entry.isDirectory || isHidden(entry.name)) continue;
      if (await hasVideoFiles(join(folder, entry.name), true)) return true;
    }
  } catch {
    // Not listable: the metaData.json's own problem is the one told.
  }
  return false;
}

/** What a folder with a `metaData.json` is. */
interface Verdict {
  /** Why it is not taken as a session; null for a session. */
  reason: string | null;
  /** Whether that is a failure. */
  failed: boolean;
  /** Whether to search the folders in it. */
  searchOn: boolean;
}

/**
 * Looks at a folder with a `metaData.json`: a session is added to `sessions`; a folder that
 * looks like a session or a device folder but is not one is not searched further; any other
 * (a broken file, some other program's `metaData.json`) is told of and searched on.
 */
async function lookAtMetadata(folder: string, sessions: FoundSession[]): Promise<Verdict> {
  const stop = (reason: string, failed = false): Verdict => ({ reason, failed, searchOn: false });
  const path = join(folder, "metaData.json");
  // A metaData.json that is a pipe or a folder would block or fail the read.
  const info = await Deno.stat(path).catch((error) => error as Error);
  if (info instanceof Error) {
    return {
      reason: message(explainFsError(info, path, "metaData.json")),
      failed: true,
      searchOn: true,
    };
  }
  if (!info.isFile) return { reason: `"${path}" is not a file`, failed: false, searchOn: true };
  let metadata: Record<string, unknown>;
  try {
    metadata = await readMetadataFile(path, "metaData.json");
  } catch (error) {
    // Beside videos, or above device folders: a recording left out, so a failure.
    if (await holdsRecordings(folder)) return stop(message(error), true);
    return {
      reason: message(error),
      failed: error instanceof Deno.errors.NotCapable,
      searchOn: true,
    };
  }
  try {
    await readSessionMetadataFile(path);
  } catch (error) {
    if (SESSION_KEYS.some((key) => key in metadata)) {
      return stop(`a session without a start time: ${message(error)}`);
    }
    if (DEVICE_KEYS.some((key) => key in metadata) || await hasVideoFiles(folder, true)) {
      return stop(
        `a device folder outside a session: "${basename(folder)}" has no session ` +
          `metaData.json with a recording start time in the folder above it`,
      );
    }
    return {
      reason: `its metaData.json is not one the acquisition software writes (none of ` +
        `${[...SESSION_KEYS, ...DEVICE_KEYS].join(", ")})`,
      failed: false,
      searchOn: true,
    };
  }
  const warnings: string[] = [];
  let session: MiniscopeSession;
  try {
    session = await MiniscopeSession.open(folder, { onWarning: (m) => warnings.push(m) });
  } catch (error) {
    return stop(message(error), true);
  }
  if (session.devices.length === 0) {
    const withVideos: string[] = [];
    for (const entry of await listFolder(folder, "session folder", () => {})) {
      if (!entry.isDirectory || isHidden(entry.name)) continue;
      if (await hasVideoFiles(join(folder, entry.name), true)) withVideos.push(entry.name);
    }
    return stop(
      "a session without a device folder (a folder with metaData.json and .avi videos)" +
        (withVideos.length
          ? `: ${withVideos.map((n) => `"${n}"`).join(", ")} hold${
            withVideos.length === 1 ? "s" : ""
          } videos but no metaData.json`
          : ""),
    );
  }
  sessions.push({ folder, session, warnings });
  return { reason: null, failed: false, searchOn: false };
}

/**
 * A folder's path relative to the root, for messages; the folder itself when outside it.
 *
 * @param root The dataset folder.
 * @param folder A folder under it.
 * @returns The relative path, or `.` for the root.
 */
export function shortPath(root: string, folder: string): string {
  const path = relative(root, folder);
  return path === "" ? "." : path.startsWith("..") ? folder : path;
}
