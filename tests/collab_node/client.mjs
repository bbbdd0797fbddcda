// A y-websocket client in Node for the co-editing tests: the unmodified WebsocketProvider of
// frontend/package.json, driven by line-delimited JSON (commands on stdin, events on stdout).
//
//   node tests/collab_node/client.mjs ws://127.0.0.1:PORT/ws/recipes <recipe id> <sessionid> http://127.0.0.1:PORT
//
// Commands: insert, delete (name/description), set_meta, line_set, awareness, state, disconnect, exit.
// Events: status, synced, close (every `connection-close`), closed (the provider gave up: a 44xx
// close), connection-error, update (a remote change applied), awareness (presence changed),
// state (the answer to `state`), error (a bad command or an exception).
// tests/collab_node_driver.py runs it; the packages come from frontend/node_modules (`npm ci`).

import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'

const NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'frontend', 'node_modules')

// The file a bare `import name` resolves to from inside frontend/ (Node's rule: the first key of
// the package's "exports" that names an active condition), so that this file and y-websocket
// share one copy of yjs: a second copy breaks Yjs' type checks.
const CONDITIONS = new Set(['node', 'import', 'default'])
const entryOf = (name) => {
  const root = join(NODE_MODULES, name)
  const { exports: spec, main } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  let target = spec?.['.'] ?? spec ?? main
  while (target !== null && typeof target === 'object') {
    target = Object.entries(target).find(([condition]) => CONDITIONS.has(condition))?.[1]
  }
  if (typeof target !== 'string') throw new Error(`no entry for import in ${root}/package.json`)
  return pathToFileURL(join(root, target)).href
}

const Y = await import(entryOf('yjs'))
const { WebsocketProvider } = await import(entryOf('y-websocket'))
const { WebSocket } = await import(entryOf('ws'))

const [base, recipeId, sessionId, origin] = process.argv.slice(2)
if (!base || !recipeId || sessionId === undefined || !origin) {
  process.stderr.write('usage: node client.mjs <ws base url> <recipe id> <sessionid cookie> <origin>\n')
  process.exit(2)
}

const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n')

// A browser sends the session cookie and its Origin; ws takes both as constructor options.
class SessionWebSocket extends WebSocket {
  constructor (url, protocols) {
    super(url, protocols, { headers: { Cookie: `sessionid=${sessionId}` }, origin })
  }
}

const doc = new Y.Doc()
const roots = {
  meta: doc.getMap('meta'),
  name: doc.getText('name'),
  description: doc.getText('description'),
  lines: doc.getArray('lines'),
  steps: doc.getArray('steps')
}
// BroadcastChannel exists in Node: without disableBc, two providers in one process would sync
// with each other directly instead of through the server.
const provider = new WebsocketProvider(base, recipeId, doc, { WebSocketPolyfill: SessionWebSocket, disableBc: true })

provider.on('status', ({ status }) => emit({ event: 'status', status }))
provider.on('sync', (synced) => { if (synced) emit({ event: 'synced' }) })
// event is null when the provider closed the socket itself (disconnect(), its 30 s watchdog).
provider.on('connection-close', (event) => emit({ event: 'close', code: event?.code ?? null, reason: event?.reason ?? '' }))
// 3.1.0 stops reconnecting by itself after a 4400-4499 close and says so with `closed`.
provider.on('closed', ({ code, reason }) => emit({ event: 'closed', code, reason }))
provider.on('connection-error', (event) => emit({ event: 'connection-error', message: String(event?.message ?? event?.type ?? '') }))
doc.on('update', (_update, updateOrigin) => { if (updateOrigin === provider) emit({ event: 'update' }) })
provider.awareness.on('change', ({ added, updated, removed }) => emit({ event: 'awareness', added, updated, removed }))

const text = (field) => {
  if (field !== 'name' && field !== 'description') throw new Error(`not a text field: ${field}`)
  return roots[field]
}

const content = () => ({
  name: roots.name.toString(),
  description: roots.description.toString(),
  meta: roots.meta.toJSON(),
  lines: roots.lines.toJSON(),
  steps: roots.steps.toJSON()
})

let exiting = false
const commands = {
  insert: ({ field, index, text: value }) => text(field).insert(index, value),
  delete: ({ field, index, length }) => text(field).delete(index, length),
  set_meta: ({ key, value }) => roots.meta.set(key, value),
  line_set: ({ id, key, value }) => {
    const line = roots.lines.toArray().find((item) => item instanceof Y.Map && item.get('id') === id)
    if (line === undefined) throw new Error(`no line with id ${id}`)
    line.set(key, value)
  },
  awareness: ({ state }) => provider.awareness.setLocalState(state),
  state: () => emit({
    event: 'state',
    content: content(),
    awareness: Object.fromEntries(provider.awareness.getStates()),
    client_id: doc.clientID
  }),
  disconnect: () => provider.disconnect(),
  exit: () => {
    if (exiting) return
    exiting = true
    // Let the close frame go out (the server then sees a clean close, not a dropped connection).
    const socket = provider.ws
    provider.destroy()
    if (socket === null || socket.readyState === WebSocket.CLOSED) process.exit(0)
    socket.once('close', () => process.exit(0))
    setTimeout(() => process.exit(0), 1000).unref()
  }
}

const input = createInterface({ input: process.stdin })
input.on('line', (line) => {
  if (!line.trim()) return
  try {
    const command = JSON.parse(line)
    const run = commands[command.op]
    if (run === undefined) throw new Error(`unknown op: ${command.op}`)
    run(command)
  } catch (error) {
    emit({ event: 'error', message: String(error?.message ?? error) })
  }
})
input.on('close', () => commands.exit())
