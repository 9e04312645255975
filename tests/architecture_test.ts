/**
 * The layers of the package, checked on the module graph Deno itself builds (`deno info
 * --json`) from every public entry: no import cycle, and the lower layers never reach up.
 *
 * @module
 */

import assert, { deepStrictEqual } from "node:assert/strict";
import { relative } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const ENTRIES = ["mod.ts", "src/cli.ts", "src/nwb/mod.ts", "src/convert/mod.ts"];

/** Each module of the package (paths from its root) and the package modules it imports. */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const entry of ENTRIES) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(output.success, new TextDecoder().decode(output.stderr));
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
      }[];
    };
    const local = (specifier: string) =>
      specifier.startsWith("file://") && !specifier.includes("/tests/")
        ? relative(ROOT, new URL(specifier).pathname)
        : null;
    for (const module of info.modules) {
      const from = local(module.specifier);
      if (from === null) continue;
      // Type-only imports count: a cycle through types is still two layers that know each other.
      const to = (module.dependencies ?? [])
        .flatMap((d) => [d.code?.specifier, d.type?.specifier])
        .flatMap((s) => (s === undefined ? [] : [local(s)]))
        .filter((path): path is string => path !== null && path !== from);
      graph.set(from, [...new Set([...(graph.get(from) ?? []), ...to])].sort());
    }
  }
  return graph;
}

/** The import cycles of a graph: each strongly connected set of two or more modules. */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

const graph = await importGraph();

Deno.test("the module graph of every entry point has no import cycle", () => {
  assert(graph.has("src/extractor.ts") && graph.has("src/nwb/plan.ts"), [...graph.keys()].join());
  deepStrictEqual(cycles(graph), []);
});

Deno.test("the cycle check finds a cycle, naming every module in it", () => {
  const looped = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a", "d"]], ["d", []]]);
  deepStrictEqual(cycles(looped), [["a", "b", "c"]]);
});

Deno.test("open/ and formats/ import nothing of read/ or ffmpeg/: the model is data", () => {
  const upward = [...graph].flatMap(([from, to]) =>
    /^src\/(open|formats)\//.test(from)
      ? to.filter((path) => /^src\/(read|ffmpeg)\//.test(path)).map((path) => `${from} -> ${path}`)
      : []
  );
  const checked = [...graph.keys()].filter((path) => /^src\/(open|formats)\//.test(path));
  assert(checked.some((path) => path.startsWith("src/open/")), checked.join());
  assert(checked.some((path) => path.startsWith("src/formats/")), checked.join());
  deepStrictEqual(upward, []);
});

Deno.test("convert/ sits on nwb/: nothing below it imports convert/ or the command line", () => {
  const upward = [...graph].flatMap(([from, to]) =>
    /^src\/(nwb|open|formats|read|ffmpeg|analysis)\//.test(from)
      ? to.filter((path) => /^src\/(convert|cli)\//.test(path)).map((path) => `${from} -> ${path}`)
      : []
  );
  assert(graph.has("src/convert/task.ts") && graph.has("src/convert/plan.ts"));
  deepStrictEqual(upward, []);
});
