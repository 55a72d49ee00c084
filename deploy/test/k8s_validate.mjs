// Validation of rendered Kubernetes objects against the Kubernetes API schemas, offline:
//   1. kubernetes-models (npm, pinned in tools/node): the generated validators check types,
//      required fields, enums and formats of every built-in kind;
//   2. a strict walk over the same package's TypeScript declarations, because those validators
//      accept unknown fields (a misspelt `readinesProbe` would pass): every key of every object
//      must be a field of its Kubernetes type (what `kubeconform -strict` does).
// Custom resources the chart may render (cert-manager Certificate, Prometheus Operator
// ServiceMonitor) are not in kubernetes-models; they get a structural check of their own.
import fs from "node:fs";
import path from "node:path";

export function nodeModulesDir(root) {
  return path.join(root, "tools", "node", "node_modules");
}

// apiVersion "apps/v1", kind "Deployment" -> kubernetes-models/apps/v1/Deployment
function modelPath(modules, apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const dir = group === "" ? version : `${group}/${version}`;
  return path.join(modules, "kubernetes-models", dir, kind);
}

// --- strict field walk over the .d.ts declarations ----------------------------------------

const declarationCache = new Map();

// { fields: Map(name -> type text), imports: Map(alias -> .d.ts path) } of the first interface
// in a declaration file; null when the file declares no interface (aliases such as Quantity).
function loadDeclaration(modules, file) {
  if (declarationCache.has(file)) return declarationCache.get(file);
  let result = null;
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, "utf8");
    const imports = new Map();
    for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
      const [, alias, from] = m;
      let target;
      if (from.startsWith(".")) {
        target = path.join(path.dirname(file), from.replace(/\.js$/, ".d.ts"));
      } else {
        target = path.join(modules, from.replace(/\.js$/, "") + ".d.ts");
      }
      imports.set(alias, target);
    }
    const start = text.search(/^export interface \w+/m);
    if (start >= 0) {
      const body = text.slice(start, text.indexOf("\n}", start));
      const fields = new Map();
      for (const m of body.matchAll(/^ {4}"([^"]+)"\??: (.*?);?$/gm)) fields.set(m[1], m[2]);
      result = { fields, imports };
    }
  }
  declarationCache.set(file, result);
  return result;
}

// Walks `value` as the type `typeText` declared in `decl`; pushes "path: unknown field" errors.
function walkType(modules, decl, typeText, value, where, errors) {
  if (value === null || value === undefined) return;
  const array = /^Array<(\w+)>$/.exec(typeText);
  if (array) {
    if (!Array.isArray(value)) return; // the generated validator reports type errors
    value.forEach((item, i) => walkType(modules, decl, array[1], item, `${where}[${i}]`, errors));
    return;
  }
  if (!/^\w+$/.test(typeText) || !decl.imports.has(typeText)) return; // primitive, map, union
  const inner = loadDeclaration(modules, decl.imports.get(typeText));
  if (inner) walkObject(modules, inner, value, where, errors);
}

function walkObject(modules, decl, value, where, errors) {
  if (typeof value !== "object" || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (!decl.fields.has(key)) {
      errors.push(`${where}.${key}: unknown field`);
      continue;
    }
    walkType(modules, decl, decl.fields.get(key), child, `${where}.${key}`, errors);
  }
}

// --- custom resources ---------------------------------------------------------------------

function checkCertificate(object, errors) {
  const spec = object.spec ?? {};
  const allowed = new Set(["secretName", "commonName", "duration", "renewBefore", "privateKey",
    "usages", "dnsNames", "ipAddresses", "uris", "emailAddresses", "issuerRef", "subject",
    "isCA", "secretTemplate", "keystores", "revisionHistoryLimit"]);
  for (const key of Object.keys(spec)) if (!allowed.has(key)) errors.push(`spec.${key}: unknown field`);
  if (typeof spec.secretName !== "string" || !spec.secretName) errors.push("spec.secretName is required");
  if (!spec.issuerRef || typeof spec.issuerRef.name !== "string") errors.push("spec.issuerRef.name is required");
  const usages = new Set(["signing", "digital signature", "content commitment", "key encipherment",
    "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only",
    "any", "server auth", "client auth", "code signing", "email protection", "s/mime",
    "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
    "microsoft sgc", "netscape sgc"]);
  for (const usage of spec.usages ?? []) if (!usages.has(usage)) errors.push(`spec.usages: unknown usage '${usage}'`);
  if (!(spec.dnsNames?.length || spec.ipAddresses?.length || spec.commonName)) errors.push("a Certificate needs a name");
}

function checkServiceMonitor(object, errors) {
  const spec = object.spec ?? {};
  if (!spec.selector || typeof spec.selector !== "object") errors.push("spec.selector is required");
  if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) errors.push("spec.endpoints is required");
  for (const [i, endpoint] of (spec.endpoints ?? []).entries()) {
    if (!endpoint.port && !endpoint.targetPort) errors.push(`spec.endpoints[${i}] needs a port`);
    for (const key of Object.keys(endpoint)) {
      if (!["port", "targetPort", "path", "interval", "scrapeTimeout", "scheme", "tlsConfig",
        "relabelings", "metricRelabelings", "honorLabels"].includes(key)) {
        errors.push(`spec.endpoints[${i}].${key}: unknown field`);
      }
    }
  }
}

const customResources = {
  "cert-manager.io/v1/Certificate": checkCertificate,
  "monitoring.coreos.com/v1/ServiceMonitor": checkServiceMonitor,
};

// --- entry point --------------------------------------------------------------------------

// Returns a list of error strings for one object (empty: valid).
export async function validateObject(modules, object) {
  const errors = [];
  if (!object || typeof object !== "object") return ["not an object"];
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return ["apiVersion and kind are required"];
  if (!object.metadata?.name) errors.push("metadata.name is required");
  const custom = customResources[`${apiVersion}/${kind}`];
  if (custom) {
    custom(object, errors);
    return errors;
  }
  const base = modelPath(modules, apiVersion, kind);
  if (!fs.existsSync(`${base}.js`)) return [`${apiVersion} ${kind} is not a Kubernetes kind this check knows`];
  const module = await import(`${base}.js`);
  const Model = module[kind];
  try {
    new Model(object).validate();
  } catch (e) {
    errors.push(String(e.message ?? e));
  }
  const decl = loadDeclaration(modules, `${base}.d.ts`);
  if (!decl) return [...errors, `no declaration for ${kind}`];
  walkObject(modules, decl, object, kind, errors);
  return errors;
}
