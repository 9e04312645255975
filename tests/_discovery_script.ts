// Prints what discoverSessions() finds under a folder, as JSON, for convert_test.ts: run in a
// process of its own, as another user where the test runs as root, so that a folder can be
// unreadable to it.
import { discoverSessions } from "../src/convert/discovery.ts";

const found = await discoverSessions(Deno.args[0]!);
console.log(JSON.stringify({
  sessions: found.sessions.map((s) => s.folder),
  passed: found.passed,
}));
