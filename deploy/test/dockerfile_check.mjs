// Checks deploy/docker/Dockerfile without a Docker engine (none runs here): it reads the file and
// checks that it agrees with the rest of the repository.
//   - one target per service, the same services as CMake (services/*/ uw_service) and the chart;
//   - the build stage is Debian 12 with the C++ build packages of tools/lib/deps.sh (its -dev
//     libraries, compilers and build tools), and builds the
//     binaries under the names and paths CMake gives them (checked against a real build dir);
//   - the runtime stage is debian:12-slim, installs no -dev package, and runs as a numeric non-root
//     user that no service target overrides; uwctl is where the chart's TLS probes expect it;
//   - each target's EXPOSE, listen addresses and HEALTHCHECK use the ports of the chart's values;
//   - the runtime packages provide every shared library the built binaries need (readelf, dpkg,
//     apt-cache of this Debian 12 machine);
//   - Dockerfile.dockerignore keeps build trees and node_modules out and lets the CMake tree in.
// Then it breaks a copy of the Dockerfile in several ways and makes sure each check notices.
//
//   node deploy/test/dockerfile_check.mjs --root REPO --build BUILD_DIR
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { nodeModulesDir } from "./k8s_validate.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith("--")) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const root = path.resolve(args.root ?? ".");
const build = args.build ? path.resolve(args.build) : null;
if (!build || !fs.existsSync(build)) {
  console.error("usage: dockerfile_check.mjs --root REPO --build BUILD_DIR");
  process.exit(2);
}
const YAML = (await import(path.join(nodeModulesDir(root), "yaml", "dist", "index.js"))).default;
const dockerfilePath = path.join(root, "deploy", "docker", "Dockerfile");
const values = YAML.parse(fs.readFileSync(path.join(root, "deploy", "helm", "uwallet", "values.yaml"), "utf8"));

// The packages of deps.sh the C++ build needs: every -dev library, the protobuf/gRPC compilers,
// and the build tools below. deps.sh also installs what only running and testing need (servers,
// node, a browser, fonts); those are not wanted in the build stage.
const BUILD_TOOLS = new Set(["build-essential", "cmake", "ninja-build", "pkg-config", "git", "ca-certificates",
  "ccache", "python3", "catch2", "grpc-proto"]);
const neededToCompile = (p) => p.endsWith("-dev") || p.startsWith("protobuf-compiler") || BUILD_TOOLS.has(p);
const BINARY_DIR_IN_IMAGE = "/usr/local/bin";

let passed = 0;
let failed = 0;
function report(name, problems) {
  if (problems.length === 0) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}`);
    for (const p of problems.slice(0, 20)) console.log(`       ${p}`);
  }
}

// ------------------------------------------------------------------------------ parsing

// Instructions (continuations joined, comments dropped) grouped by stage; ARGs before the first
// FROM resolve ${NAME} in FROM lines.
function parseDockerfile(text) {
  const lines = [];
  let current = "";
  for (const raw of text.split("\n")) {
    if (/^\s*#/.test(raw) && current === "") continue;
    if (/^\s*#/.test(raw)) continue; // comment inside a continuation
    if (raw.endsWith("\\")) {
      current += raw.slice(0, -1) + " ";
      continue;
    }
    current += raw;
    if (current.trim()) lines.push(current.trim().replace(/\s+/g, " "));
    current = "";
  }
  const globalArgs = {};
  const stages = [];
  for (const line of lines) {
    const [instruction, ...rest] = line.split(" ");
    const body = rest.join(" ");
    const keyword = instruction.toUpperCase();
    if (keyword === "FROM") {
      const m = /^(?:--platform=\S+ )?(\S+)(?: AS (\S+))?$/i.exec(body);
      const image = m[1].replace(/\$\{(\w+)\}/g, (_, name) => globalArgs[name] ?? "");
      stages.push({ name: m[2] ?? `#${stages.length}`, from: image, instructions: [] });
    } else if (stages.length === 0) {
      if (keyword === "ARG") {
        const [name, value] = body.split("=");
        globalArgs[name] = value;
      }
    } else {
      stages.at(-1).instructions.push({ keyword, body });
    }
  }
  return { stages };
}

const jsonArray = (body) => {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
};

// ENV "A=1 B=2" or "A 1".
function envOf(stage) {
  const env = {};
  for (const { keyword, body } of stage.instructions.filter((i) => i.keyword === "ENV")) {
    if (body.includes("=")) {
      for (const pair of body.split(" ")) {
        const [k, ...v] = pair.split("=");
        env[k] = v.join("=");
      }
    } else {
      const [k, ...v] = body.split(" ");
      env[k] = v.join(" ");
    }
  }
  return env;
}

// Packages of every `apt-get install` in a stage.
function aptPackages(stage) {
  const packages = new Set();
  for (const { body } of stage.instructions.filter((i) => i.keyword === "RUN")) {
    for (const command of body.split(/&&|;/)) {
      const words = command.trim().split(" ");
      const at = words.indexOf("install");
      if (words[0] !== "apt-get" || at < 0) continue;
      for (const word of words.slice(at + 1)) if (!word.startsWith("-")) packages.add(word);
    }
  }
  return packages;
}

function depsShPackages() {
  const text = fs.readFileSync(path.join(root, "tools", "lib", "deps.sh"), "utf8");
  const m = /UW_APT_PACKAGES=\(([\s\S]*?)\)/.exec(text);
  return m[1].split(/\s+/).filter(Boolean);
}

// services/<name>/CMakeLists.txt with uw_service(NAME <name>) -> binary uwallet-<name>.
function cmakeServices() {
  const dir = path.join(root, "services");
  return fs.readdirSync(dir).filter((name) => {
    const file = path.join(dir, name, "CMakeLists.txt");
    return fs.existsSync(file) && new RegExp(`uw_service\\(\\s*NAME ${name}\\b`).test(fs.readFileSync(file, "utf8"));
  }).sort();
}

// ------------------------------------------------------------------------------ checks

function checkDockerfile(text) {
  const results = [];
  const add = (name, problems) => results.push([name, problems]);
  let parsed;
  try {
    parsed = parseDockerfile(text);
  } catch (e) {
    add("the Dockerfile parses", [String(e)]);
    return results;
  }
  const { stages } = parsed;
  const byName = Object.fromEntries(stages.map((s) => [s.name, s]));
  const buildStage = byName.build;
  const runtime = byName.runtime;
  const services = cmakeServices();
  const chartServices = Object.keys(values.services).sort();

  add("stages build and runtime exist", [!buildStage && "no stage 'build'", !runtime && "no stage 'runtime'"].filter(Boolean));
  if (!buildStage || !runtime) return results;

  add("the build stage is Debian 12", /^debian:(12|bookworm)$/.test(buildStage.from) ? [] : [`FROM ${buildStage.from}`]);
  add("the runtime stage is debian:12-slim", /^debian:(12|bookworm)-slim$/.test(runtime.from) ? [] : [`FROM ${runtime.from}`]);

  const buildPackages = aptPackages(buildStage);
  add("the build stage installs the C++ build packages of tools/lib/deps.sh",
    depsShPackages().filter((p) => neededToCompile(p) && !buildPackages.has(p)).map((p) => `missing ${p}`));
  const runtimePackages = aptPackages(runtime);
  add("the runtime stage installs no build tools or -dev packages",
    [...runtimePackages].filter((p) => /-dev$|^build-essential$|^cmake$|^ninja-build$|^g\+\+|^gcc|^protobuf-compiler/.test(p)).map((p) => `installs ${p}`));

  // Targets: one per service, the same set as CMake and the chart.
  const targets = stages.filter((s) => s.from === "runtime").map((s) => s.name).sort();
  add("one target per service (CMake's services and the chart's)", [
    JSON.stringify(targets) !== JSON.stringify(services) && `targets [${targets}] vs CMake services [${services}]`,
    JSON.stringify(services) !== JSON.stringify(chartServices) && `CMake services [${services}] vs chart services [${chartServices}]`,
  ].filter(Boolean));

  // Non-root: the runtime stage ends with a numeric USER other than 0; no target changes it.
  const users = runtime.instructions.filter((i) => i.keyword === "USER").map((i) => i.body);
  const user = users.at(-1) ?? "";
  const userProblems = [];
  if (!/^[1-9][0-9]*(:[1-9][0-9]*)?$/.test(user)) userProblems.push(`runtime USER '${user}' is not a numeric non-root uid[:gid]`);
  for (const target of targets) {
    for (const i of byName[target].instructions.filter((x) => x.keyword === "USER")) userProblems.push(`target ${target} sets USER ${i.body}`);
  }
  const chartUid = values.podSecurityContext?.runAsUser;
  if (chartUid !== undefined && user.split(":")[0] !== String(chartUid)) userProblems.push(`image uid ${user} differs from the chart's runAsUser ${chartUid}`);
  add("the images run as a numeric non-root user (the chart's uid)", userProblems);

  // uwctl: built, copied where the chart's TLS probes call it.
  const helpers = fs.readFileSync(path.join(root, "deploy", "helm", "uwallet", "templates", "_helpers.tpl"), "utf8");
  const uwctlCopied = runtime.instructions.some((i) => i.keyword === "COPY" && i.body === `--from=build /build/tools/ctl/uwctl ${BINARY_DIR_IN_IMAGE}/uwctl`);
  add("uwctl is in the runtime image where the chart's probes call it", [
    !uwctlCopied && "runtime does not COPY --from=build /build/tools/ctl/uwctl /usr/local/bin/uwctl",
    !helpers.includes(`${BINARY_DIR_IN_IMAGE}/uwctl`) && "the chart does not call /usr/local/bin/uwctl",
  ].filter(Boolean));

  // The build builds every binary; paths are CMake's (checked against the build dir).
  const runs = buildStage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.body).join(" ");
  const buildProblems = [];
  const buildTargets = /cmake --build \S+ --target ((?:[\w-]+ ?)+)/.exec(runs)?.[1].trim().split(" ") ?? [];
  for (const name of [...services.map((s) => `uwallet-${s}`), "uwctl"]) if (!buildTargets.includes(name)) buildProblems.push(`cmake --build does not build ${name}`);
  if (!/cmake -S \/src -B \/build /.test(runs)) buildProblems.push("the build tree is not /build");
  const uwctlRelative = "tools/ctl/uwctl";
  if (!fs.existsSync(path.join(build, uwctlRelative))) buildProblems.push(`${uwctlRelative} is not where CMake puts uwctl (${build})`);
  add("the build stage builds every binary under CMake's names", buildProblems);

  // Per service target.
  for (const svc of targets) {
    const stage = byName[svc];
    const own = values.services[svc] ?? {};
    const problems = [];
    const binary = `uwallet-${svc}`;
    const relative = `services/${svc}/${binary}`;
    if (!fs.existsSync(path.join(build, relative))) problems.push(`CMake built no ${relative} in ${build}`);
    const copy = stage.instructions.find((i) => i.keyword === "COPY");
    if (copy?.body !== `--from=build /build/${relative} ${BINARY_DIR_IN_IMAGE}/${binary}`) problems.push(`COPY is '${copy?.body}', expected --from=build /build/${relative} ${BINARY_DIR_IN_IMAGE}/${binary}`);
    const entrypoint = jsonArray(stage.instructions.find((i) => i.keyword === "ENTRYPOINT")?.body ?? "");
    if (JSON.stringify(entrypoint) !== JSON.stringify([`${BINARY_DIR_IN_IMAGE}/${binary}`])) problems.push(`ENTRYPOINT is ${JSON.stringify(entrypoint)}`);
    const exposed = stage.instructions.filter((i) => i.keyword === "EXPOSE").flatMap((i) => i.body.split(" ")).map((p) => Number(p.split("/")[0])).sort();
    const expected = [own.grpcPort, own.metricsPort, own.httpPort].filter(Boolean).sort();
    if (JSON.stringify(exposed) !== JSON.stringify(expected)) problems.push(`EXPOSE [${exposed}], the chart uses [${expected}]`);
    const env = { ...envOf(runtime), ...envOf(stage) };
    const port = (address) => Number(String(address ?? "").split(":").pop());
    if (port(env.UWALLET_LISTEN) !== own.grpcPort || !String(env.UWALLET_LISTEN).startsWith("0.0.0.0:")) problems.push(`UWALLET_LISTEN=${env.UWALLET_LISTEN}, expected 0.0.0.0:${own.grpcPort}`);
    if (port(env.UWALLET_METRICS_LISTEN) !== own.metricsPort) problems.push(`UWALLET_METRICS_LISTEN=${env.UWALLET_METRICS_LISTEN}, expected port ${own.metricsPort}`);
    if (own.httpPort && port(env.UWALLET_HTTP_LISTEN) !== own.httpPort) problems.push(`UWALLET_HTTP_LISTEN=${env.UWALLET_HTTP_LISTEN}, expected port ${own.httpPort}`);
    const health = stage.instructions.find((i) => i.keyword === "HEALTHCHECK")?.body ?? "";
    if (!health.includes(`"${BINARY_DIR_IN_IMAGE}/uwctl", "health", "127.0.0.1:${own.grpcPort}"`)) problems.push(`HEALTHCHECK does not run uwctl health on ${own.grpcPort}`);
    if (!runs.includes(`/build/${relative}`)) problems.push(`the build stage does not strip /build/${relative}`);
    add(`target ${svc}: binary, entrypoint, ports and health check agree with CMake and the chart`, problems);
  }
  return results;
}

// Caches: dpkg -S and ldd are slow and their answers do not change during a run.
const packageOfLibrary = new Map();
const lddOutput = new Map();

// Shared libraries the built binaries need vs. what the runtime stage installs (+ the packages
// of priority required, which debian:12-slim has, and everything these depend on). The project's
// own shared libraries (libuwallet_*.so, built by CMake) must be copied into the image instead.
function libraryProblems(text) {
  const stages = parseDockerfile(text).stages;
  const runtime = stages.find((s) => s.name === "runtime");
  const buildRuns = (stages.find((s) => s.name === "build")?.instructions ?? []).filter((i) => i.keyword === "RUN").map((i) => i.body).join(" ");
  const runtimeSteps = runtime.instructions.map((i) => `${i.keyword} ${i.body}`);
  const copyAt = runtimeSteps.indexOf("COPY --from=build /out/lib/ /usr/local/lib/");
  const ownLibrariesShipped = buildRuns.includes("-DCMAKE_SKIP_RPATH=ON") &&
    buildRuns.includes("find /build -name 'libuwallet_*.so*' -exec cp -P {} /out/lib/") &&
    copyAt >= 0 && runtimeSteps.slice(copyAt + 1).some((step) => /^RUN (.* )?ldconfig( |$)/.test(step));
  const listed = [...aptPackages(runtime)];
  const required = execFileSync("dpkg-query", ["-W", "-f=${Package} ${Priority} ${Essential}\\n"], { encoding: "utf8" })
    .split("\n").map((l) => l.split(" ")).filter(([, priority, essential]) => priority === "required" || essential === "yes").map(([name]) => name);
  const closureText = execFileSync("apt-cache", ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
    "--no-breaks", "--no-replaces", "--no-enhances", ...listed, ...required], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const closure = new Set(closureText.split("\n").filter((l) => l && !l.startsWith(" ")).map((l) => l.replace(/^<|>$/g, "").replace(/:amd64$|:arm64$/, "")));
  for (const p of listed) if (!closure.has(p)) return [`apt-cache does not know ${p} (not a Debian 12 package?)`];
  const problems = [];
  const binaries = [...cmakeServices().map((s) => `services/${s}/uwallet-${s}`), "tools/ctl/uwctl"];
  for (const binary of binaries) {
    const file = path.join(build, binary);
    if (!fs.existsSync(file)) {
      problems.push(`${binary} is not built in ${build}`);
      continue;
    }
    // Every library the dynamic loader resolves for it, directly or indirectly.
    if (!lddOutput.has(file)) lddOutput.set(file, execFileSync("ldd", [file], { encoding: "utf8" }));
    const ldd = lddOutput.get(file);
    for (const line of ldd.split("\n")) {
      const m = /^\s*(\S+) => (\/\S+)/.exec(line);
      if (!m) {
        if (/not found/.test(line)) problems.push(`${binary}: ${line.trim()}`);
        continue;
      }
      const library = fs.realpathSync(m[2]);
      if (!packageOfLibrary.has(library)) {
        let owner = null;
        for (const candidate of [library, library.replace(/^\/usr/, ""), m[2]]) {
          try {
            owner = execFileSync("dpkg", ["-S", candidate], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split(":")[0];
            break;
          } catch {
            // try the next spelling of the path (usr-merge)
          }
        }
        packageOfLibrary.set(library, owner);
      }
      const owner = packageOfLibrary.get(library);
      const ownLibrary = library.startsWith(build + path.sep) && /^libuwallet_[\w.-]*\.so/.test(path.basename(library));
      if (ownLibrary) {
        if (!ownLibrariesShipped) problems.push(`${binary}: needs the project's ${m[1]}, which the image does not ship (build with -DCMAKE_SKIP_RPATH=ON, copy libuwallet_*.so* to /out/lib, COPY it to /usr/local/lib, RUN ldconfig)`);
      } else if (owner === null) problems.push(`${binary}: ${m[1]} belongs to no Debian package (built from elsewhere?)`);
      else if (!closure.has(owner)) problems.push(`${binary}: needs ${m[1]} from ${owner}, which the runtime stage does not install`);
    }
  }
  return [...new Set(problems)];
}

function dockerignoreProblems() {
  const file = path.join(root, "deploy", "docker", "Dockerfile.dockerignore");
  if (!fs.existsSync(file)) return ["deploy/docker/Dockerfile.dockerignore is missing"];
  const lines = fs.readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const problems = [];
  for (const required of ["build/", "build-*/", "**/node_modules/"]) if (!lines.includes(required)) problems.push(`does not exclude ${required}`);
  // What the top-level CMakeLists.txt needs at configure time must be in the context.
  const top = fs.readFileSync(path.join(root, "CMakeLists.txt"), "utf8");
  const included = (p) => lines.includes(`!${p}/`) || lines.includes(`!${p}/CMakeLists.txt`);
  for (const m of top.matchAll(/^add_subdirectory\(([\w/]+)\)/gm)) if (!included(m[1])) problems.push(`keeps out ${m[1]}/, which CMakeLists.txt adds`);
  if (!lines.includes("!CMakeLists.txt") || !lines.includes("!cmake/")) problems.push("keeps out the top-level CMake files");
  return problems;
}

// ------------------------------------------------------------------------------ run

const text = fs.readFileSync(dockerfilePath, "utf8");
for (const [name, problems] of checkDockerfile(text)) report(name, problems);
report("the runtime packages provide every shared library the binaries load", libraryProblems(text));
report("Dockerfile.dockerignore keeps build trees out and the CMake tree in", dockerignoreProblems());

// The checks can fail: each broken copy must make at least one check report a problem.
const broken = [
  ["USER root in a target", (t) => t.replace("ENTRYPOINT [\"/usr/local/bin/uwallet-ledger\"]", "USER root\nENTRYPOINT [\"/usr/local/bin/uwallet-ledger\"]")],
  ["no USER in the runtime stage", (t) => t.replace(/^USER .*$/m, "")],
  ["a missing target", (t) => t.replace(/FROM runtime AS fraud[\s\S]*?(?=\n# The gateway)/, "")],
  ["a wrong exposed port", (t) => t.replace("EXPOSE 50052 9102", "EXPOSE 50052 9999")],
  ["a wrong binary path", (t) => t.replace("/build/services/auth/uwallet-auth /usr", "/build/auth/uwallet-auth /usr")],
  ["a build package dropped", (t) => t.replace(" libhiredis-dev", "")],
  ["a slim build stage", (t) => t.replace("ARG DEBIAN_IMAGE=debian:12", "ARG DEBIAN_IMAGE=debian:11")],
];
for (const [name, breakIt] of broken) {
  const mutated = breakIt(text);
  const noticed = mutated !== text && checkDockerfile(mutated).some(([, problems]) => problems.length > 0);
  report(`the checks notice ${name}`, noticed ? [] : ["not noticed"]);
}
{
  const mutated = text.replace(" libpq5", "");
  report("the checks notice a runtime library package dropped", mutated !== text && libraryProblems(mutated).length > 0 ? [] : ["not noticed"]);
  const needsOwn = [...lddOutput.values()].some((out) => /libuwallet_\w*\.so/.test(out));
  const unshipped = text.replace("COPY --from=build /out/lib/ /usr/local/lib/\n", "");
  report("the checks notice the project's shared libraries left out of the image",
    !needsOwn || (unshipped !== text && libraryProblems(unshipped).length > 0) ? [] : ["not noticed"]);
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
