// Extracts a compact subset of the hashicorp/aws provider schema (attribute
// and block names, types and nesting of the resource types Landfall emits)
// from the CDK Terrain prebuilt bindings (`@cdktn/provider-aws`), which are
// generated from `terraform providers schema -json` of the provider.
//
// usage: node extract.js PACKAGE_DIR TYPES_FILE > aws.json
"use strict";
const fs = require("fs");
const path = require("path");

const [pkg, typesFile] = process.argv.slice(2);
const wanted = new Set(fs.readFileSync(typesFile, "utf8").split(/\s+/).filter(Boolean));
const lib = path.join(pkg, "lib");
const version = (fs.readFileSync(path.join(pkg, "README.md"), "utf8").match(/hashicorp\/aws provider version ([0-9.]+)/) || [])[1];

function parseAttrs(src, start) {
  // `const attrs = { name: { value: ..., isBlock: b, type: "t", storageClassType: "s" }, ... };`
  const open = src.indexOf("const attrs = {", start);
  if (open < 0) return {};
  let depth = 0, i = src.indexOf("{", open), end = i;
  for (; end < src.length; end++) {
    if (src[end] === "{") depth++;
    else if (src[end] === "}") { depth--; if (depth === 0) break; }
  }
  const body = src.slice(i + 1, end);
  const out = {};
  const re = /(\w+): \{\s*value: ([\s\S]*?),\s*isBlock: (true|false),\s*type: "(\w+)",\s*storageClassType: "(\w+)",\s*\}/g;
  let m;
  while ((m = re.exec(body))) {
    const [, name, value, isBlock, type, storage] = m;
    const nested = (value.match(/\b(?!cdktn\.)(\w+)ToHclTerraform\b/g) || [])
      .map((f) => f.replace(/ToHclTerraform$/, ""))
      .filter((f) => !/^(string|number|boolean|any)$/.test(f))[0];
    out[name] = { isBlock: isBlock === "true", type, storage, nested };
  }
  return out;
}

function shape(src, attrs, seen, top) {
  const result = { attributes: {}, blocks: {} };
  for (const [name, a] of Object.entries(attrs)) {
    // Computed or meta at the top level: never written by the emitter.
    if (top && (name === "id" || name === "tags_all" || name === "timeouts")) continue;
    if (a.isBlock && a.nested) {
      const fn = src.indexOf(`function ${a.nested}ToHclTerraform(`);
      const inner = fn >= 0 && !seen.has(a.nested) ? parseAttrs(src, fn) : {};
      const s = shape(src, inner, new Set([...seen, a.nested]), false);
      result.blocks[name] = { nesting: a.type === "struct" ? "single" : a.type, ...s };
    } else {
      let t = a.storage;
      t = { string: "string", number: "number", boolean: "bool", stringList: "list(string)", numberList: "list(number)",
            booleanList: "list(bool)", stringMap: "map(string)", numberMap: "map(number)", booleanMap: "map(bool)" }[t] || t;
      if (a.type === "set" && t.startsWith("list(")) t = "set(" + t.slice(5);
      result.attributes[name] = t;
    }
  }
  return result;
}

const schema = { provider: "registry.terraform.io/hashicorp/aws", version, source: "@cdktn/provider-aws", resources: {} };
for (const dir of fs.readdirSync(lib).sort()) {
  const file = path.join(lib, dir, "index.js");
  if (!fs.existsSync(file)) continue;
  const src = fs.readFileSync(file, "utf8");
  const t = (src.match(/static tfResourceType = "(\w+)"/) || [])[1];
  if (!t || !wanted.has(t) || dir.startsWith("data-")) continue;
  const at = src.indexOf("synthesizeHclAttributes() {");
  schema.resources[t] = shape(src, parseAttrs(src, at), new Set(), true);
}
const missing = [...wanted].filter((t) => !schema.resources[t]);
if (missing.length) console.error("not in the package: " + missing.join(", "));
process.stdout.write(JSON.stringify(schema, null, 1) + "\n");
