// Baseline for bench/engine.py: evaluate the workload with @cloud-copilot/iam-simulate.
//
//   node bench/iam_simulate_runner.mjs WORKLOAD.json [safe|unsafe]
//
// WORKLOAD.json: {identityPolicies: [{name, policy}], permissionBoundaries: [{name, policy}],
// resourcePolicy, requests: [{principal, action, resource, resourceAccount, context}]}.
// Prints one JSON object: {decisions, seconds, rss_peak, heap_used, version, api}.
//
// safe (default): runSimulation, the library's documented entry point. Policies are validated once
// up front (createValidatedPolicy), so each call skips validation; the library has no API that takes
// parsed policies, so each call still wraps the raw documents (loadPolicy) and walks them, and it
// checks the action and resource type and filters the context keys against its IAM data.
// unsafe: runUnsafeSimulation (no validation, no context-key filtering), for reference.
// Only the evaluation loop is timed, after an untimed warm-up of one request per distinct action
// (which loads the library's per-service IAM data files).

import { readFileSync } from 'node:fs'
import { createValidatedPolicy, validateIdentityPolicy } from '@cloud-copilot/iam-policy'
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

const [workloadPath, mode = 'safe'] = process.argv.slice(2)
if (!workloadPath || !['safe', 'unsafe'].includes(mode)) {
  console.error('usage: node iam_simulate_runner.mjs WORKLOAD.json [safe|unsafe]')
  process.exit(2)
}
const workload = JSON.parse(readFileSync(workloadPath, 'utf8'))

const prepare = (entries) =>
  entries.map(({ name, policy }) =>
    mode === 'safe'
      ? { name, policy: createValidatedPolicy(policy, validateIdentityPolicy, { name }) }
      : { name, policy }
  )
const identityPolicies = prepare(workload.identityPolicies)
const permissionBoundaryPolicies = workload.permissionBoundaries
  ? prepare(workload.permissionBoundaries)
  : undefined
for (const { name, policy } of [...identityPolicies, ...(permissionBoundaryPolicies ?? [])]) {
  if (mode === 'safe' && policy.errors.length > 0) {
    console.error(`policy ${name} is invalid for iam-simulate: ${JSON.stringify(policy.errors)}`)
    process.exit(1)
  }
}

const simulations = workload.requests.map((r) => ({
  request: {
    principal: r.principal,
    action: r.action,
    resource: { resource: r.resource, accountId: r.resourceAccount },
    contextVariables: r.context
  },
  identityPolicies,
  permissionBoundaryPolicies,
  serviceControlPolicies: [],
  resourceControlPolicies: [],
  resourcePolicy: workload.resourcePolicy ?? undefined
}))

async function decide(simulation) {
  if (mode === 'unsafe') {
    return runUnsafeSimulation(simulation, {})
  }
  const result = await runSimulation(simulation, {})
  return result.resultType === 'error' ? `Error:${result.errors.message}` : result.overallResult
}

// Warm-up (untimed): one request per distinct action.
const seen = new Set()
for (const simulation of simulations) {
  if (!seen.has(simulation.request.action)) {
    seen.add(simulation.request.action)
    await decide(simulation)
  }
}

const decisions = new Array(simulations.length)
const start = process.hrtime.bigint()
for (let i = 0; i < simulations.length; i++) {
  decisions[i] = await decide(simulations[i])
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9

const packageJson = new URL('./node_modules/@cloud-copilot/iam-simulate/package.json', import.meta.url)
const version = JSON.parse(readFileSync(packageJson, 'utf8')).version
process.stdout.write(
  JSON.stringify({
    decisions,
    seconds,
    rss_peak: process.resourceUsage().maxRSS * 1024,
    heap_used: process.memoryUsage().heapUsed,
    version,
    api: mode === 'safe' ? 'runSimulation, pre-validated policies' : 'runUnsafeSimulation'
  })
)
