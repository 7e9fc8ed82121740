// Runs @cloud-copilot/iam-simulate, an independent IAM evaluator from the
// npm registry, on Landfall request files given as JSON lines on stdin (the
// format of docs/iam-simulate.md) and prints one line per request:
// {"decision": "allowed" | "explicitDeny" | "implicitDeny" | null, "error": ...}.
// Installed beside this file by scripts/test.sh (`npm ci`).
// Usage: node harness.mjs < cases.jsonl
import { readFileSync } from 'node:fs';
import { runSimulation, anonymousPrincipal } from '@cloud-copilot/iam-simulate';

const document = (p) => (p && p.document && !p.Statement ? p.document : p);
const named = (list, key) => (list || []).map((p, i) => ({ name: (p && p.name) || `${key}[${i}]`, policy: document(p) }));
// iam-simulate attaches AWS's own `RCPFullAWSAccess` itself and rejects an
// allowing RCP, so the request file's copy of it is left out.
const awsFullAccess = (p) => {
  const statements = [].concat(document(p).Statement || []);
  return statements.length > 0 && statements.every((s) => s.Sid === 'RCPFullAWSAccess');
};
const levels = (list, key) => (list || []).map((level, l) => ({
  orgIdentifier: `${key}-level-${l}`,
  policies: named(key === 'rcps' ? level.filter((p) => !awsFullAccess(p)) : level, `${key}[${l}]`),
}));
const accountOf = (arn) => (/^\d{12}$/.test(arn) ? arn : (arn.split(':')[4] || ''));
const decisions = { Allowed: 'allowed', ExplicitlyDenied: 'explicitDeny', ImplicitlyDenied: 'implicitDeny' };

const lines = readFileSync(0, 'utf8').split('\n').filter((l) => l.trim());
for (const line of lines) {
  // A corpus line: {"name", "page", "file"}; `file` is a request file.
  const file = JSON.parse(line).file;
  const r = file.request;
  const anonymous = r.principal === 'anonymous';
  const context = {};
  for (const [k, v] of Object.entries(r.context || {})) context[k] = v;
  const simulation = {
    request: {
      principal: anonymous ? anonymousPrincipal : r.principal,
      action: r.action,
      resource: { resource: r.resource || '*', accountId: r.resource_account || accountOf(r.principal) },
      contextVariables: context,
    },
    identityPolicies: anonymous ? [] : named(file.identity_policies, 'identity_policies'),
    serviceControlPolicies: anonymous ? [] : levels(file.scps, 'scps'),
    resourceControlPolicies: levels(file.rcps, 'rcps'),
    resourcePolicy: document(file.resource_policy) || undefined,
    permissionBoundaryPolicies: anonymous || !file.permission_boundaries ? undefined : named(file.permission_boundaries, 'permission_boundaries'),
    sessionPolicy: anonymous ? undefined : document(file.session_policy) || undefined,
  };
  try {
    const result = await runSimulation(simulation, {});
    if (result.resultType === 'error') {
      console.log(JSON.stringify({ decision: null, error: result.errors.message }));
    } else {
      console.log(JSON.stringify({ decision: decisions[result.overallResult] || result.overallResult }));
    }
  } catch (e) {
    console.log(JSON.stringify({ decision: null, error: String(e && e.message || e) }));
  }
}
