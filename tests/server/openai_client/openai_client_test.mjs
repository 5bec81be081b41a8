// The official `openai` npm client against a running `glmserve serve`: chat and completions,
// streamed and not, the model list, and the errors a client must be able to act on.
// Usage: node openai_client_test.mjs BASE_URL API_KEY MODEL
import assert from "node:assert/strict";
import OpenAI from "openai";

const [baseUrl, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
const failures = [];

async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures.push(name);
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}

await check("models.list names the served model", async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, [model]);
});

await check("chat.completions.create", async () => {
  const r = await client.chat.completions.create({
    model,
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content: "Say hello." },
    ],
    max_tokens: 8,
    seed: 1,
  });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 8);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

await check("chat.completions.create streamed with usage", async () => {
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: [{ type: "text", text: "Count." }] }],
    max_tokens: 6,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta?.content ?? "";
      finish = c.finish_reason ?? finish;
    }
  }
  assert.equal(finish, "length");
  assert.equal(usage.completion_tokens, 6);
  assert.equal(typeof text, "string");
});

await check("completions.create, same seed same text", async () => {
  const req = { model, prompt: "Once upon a time", max_tokens: 10, seed: 7, temperature: 0.9 };
  const a = await client.completions.create(req);
  const b = await client.completions.create(req);
  assert.equal(a.object, "text_completion");
  assert.equal(a.choices[0].text, b.choices[0].text);
});

await check("completions.create streamed equals the whole answer", async () => {
  const req = { model, prompt: "Hello", max_tokens: 12, seed: 3, ignore_eos: true };
  const whole = await client.completions.create(req);
  const stream = await client.completions.create({ ...req, stream: true });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
  assert.equal(text, whole.choices[0].text);
});

await check("a bad parameter is a BadRequestError naming it", async () => {
  await assert.rejects(
    client.chat.completions.create({ model, messages: [{ role: "user", content: "x" }], max_tokens: -1 }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === "max_tokens",
  );
});

await check("an image part is refused by a text-only model", async () => {
  await assert.rejects(
    client.chat.completions.create({
      model,
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] }],
    }),
    (e) => e instanceof OpenAI.BadRequestError && /vision|text-only/.test(e.message),
  );
});

await check("an unknown model is a NotFoundError", async () => {
  await assert.rejects(
    client.completions.create({ model: "no-such-model", prompt: "x", max_tokens: 1 }),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404,
  );
});

await check("a wrong key is an AuthenticationError", async () => {
  const stranger = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: "sk-not-a-key", maxRetries: 0 });
  await assert.rejects(
    stranger.completions.create({ model, prompt: "x", max_tokens: 1 }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401,
  );
});

if (failures.length > 0) {
  console.log(`${failures.length} check(s) failed: ${failures.join(", ")}`);
  process.exit(1);
}
console.log("all checks passed");
