// Validates every object of the given YAML files against the Kubernetes API schemas shipped by the
// npm package kubernetes-models (deploy/validate.sh installs it). One line per object; exit 1 on the
// first file with an invalid or unknown object. Unknown field names are not caught (the API schemas
// allow them): kubectl apply --dry-run=server on a cluster does that.
const fs = require("fs");
const yaml = require("js-yaml");
let failed = false;
for (const file of process.argv.slice(2)) {
  for (const obj of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
    if (!obj) continue;
    const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : [null, obj.apiVersion];
    const where = `${file}: ${obj.kind} ${obj.metadata && obj.metadata.name}`;
    let Model;
    try {
      Model = require(`kubernetes-models/${group ? group + "/" : ""}${version}/${obj.kind}`)[obj.kind];
    } catch (e) {
      console.error(`${where}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
      failed = true;
      continue;
    }
    try {
      new Model(obj).validate();
      console.log(`ok: ${where}`);
    } catch (e) {
      console.error(`${where}: ${e.message}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
