// Imports run one way, in the order data flows through a run: a room imports only rooms after it.
// `npm run lint` runs this (dependency-cruiser); a new import against the flow fails it.
const ROOMS = ["main", "sweep", "level", "outputs", "launch", "models", "toolchain", "plan", "store", "results", "scenario", "platform"];

/** The path pattern of a room: scenario/ lives at the top level, shared with the k6 script. */
const at = (room) => (room === "scenario" ? "^scenario/" : `^orchestrator/${room}/`);

const againstTheFlow = ROOMS.slice(1).map((room, i) => ({
  name: `${room}-imports-upstream`,
  comment: `${room}/ may import only rooms after it: ${ROOMS.slice(i + 2).join(", ") || "nothing of the suite"}`,
  severity: "error",
  from: { path: at(room), pathNot: "\\.test\\.ts$" },
  to: { path: ROOMS.slice(0, i + 1).map(at).join("|") },
}));

module.exports = {
  forbidden: [
    ...againstTheFlow,
    {
      name: "platform-is-self-contained",
      comment: "platform/ imports nothing of the suite",
      severity: "error",
      from: { path: at("platform"), pathNot: "\\.test\\.ts$" },
      to: { path: "^(orchestrator|scenario)/", pathNot: at("platform") },
    },
    {
      name: "no-loose-files",
      comment: "every orchestrator module lives in a room",
      severity: "error",
      from: { path: "^orchestrator/[^/]+\\.ts$" },
      to: {},
    },
    {
      name: "k6-script-imports-pure-modules",
      comment: "the k6 script is bundled for k6: it imports k6's modules, scenario/ and the level codec only",
      severity: "error",
      from: { path: "^k6/" },
      to: { path: "^orchestrator/", pathNot: "^orchestrator/plan/level-(key|spec)\\.ts$" },
    },
    { name: "no-circular", severity: "error", from: { path: "^(orchestrator|scenario)/" }, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules|^build/|\\.venv|/target/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs"] },
  },
};
