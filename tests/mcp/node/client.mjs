// A client on the official TypeScript MCP SDK (another implementation than the server's).
// Connects over stdio (`--stdio COMMAND ARGS...`) or streamable HTTP (`--http URL`, the bearer
// token in MCP_TOKEN), lists the tools, calls list_containers and, with CONTAINER set,
// restart_container; with APPROVE=1 it declares form elicitation and answers "approve" when
// asked. The SDK checks every structured result against the tool's output schema (ajv).
// Prints one JSON object on stdout.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const [mode, target, ...rest] = process.argv.slice(2);
const approve = process.env.APPROVE === "1";
const asked = [];

const client = new Client(
  { name: "node-ts-client", version: "1.0.0" },
  { capabilities: approve ? { elicitation: { form: {} } } : {} },
);
if (approve) {
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(request.params.message);
    return { action: "accept", content: { decision: "approve" } };
  });
}

let transport;
if (mode === "--stdio") {
  transport = new StdioClientTransport({ command: target, args: rest, env: process.env });
} else if (mode === "--http") {
  transport = new StreamableHTTPClientTransport(new URL(target), {
    requestInit: { headers: { Authorization: `Bearer ${process.env.MCP_TOKEN}` } },
  });
} else {
  console.error("usage: node client.mjs --stdio COMMAND [ARGS...] | --http URL");
  process.exit(2);
}

await client.connect(transport);
const tools = await client.listTools();
const listing = await client.callTool({ name: "list_containers", arguments: { status: "all" } });
let restart = null;
if (process.env.CONTAINER) {
  restart = await client.callTool({
    name: "restart_container",
    arguments: { container: process.env.CONTAINER },
  });
}
console.log(JSON.stringify({
  server: client.getServerVersion(),
  tools: tools.tools.map((tool) => ({ name: tool.name, annotations: tool.annotations })),
  listing: listing.structuredContent,
  restart: restart && { isError: restart.isError, structured: restart.structuredContent },
  asked,
}));
await client.close();
