// Uses the playground page of `sapling serve` in headless Chromium: a streamed chat turn, then a text classification
// and an image upload. Usage: node playground.mjs BASE_URL API_KEY CHAT_MODEL TEXT_CLASSIFIER IMAGE_CLASSIFIER IMAGE_FILE
// Prints one JSON object with what the page showed; exits 1 on failure.
import { chromium } from "playwright-core";

const [baseUrl, apiKey, chatModel, textModel, imageModel, imageFile] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  timeout: 60_000,
});
const result = {};
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", e => errors.push(String(e)));
  // With a key the page itself is guarded too: it is opened as /?api_key=KEY and fills the key in from there.
  await page.goto(apiKey ? baseUrl + "?api_key=" + encodeURIComponent(apiKey) : baseUrl, { waitUntil: "load" });
  result.keyField = await page.getByTestId("api-key").inputValue();
  await page.waitForFunction(m => [...document.querySelectorAll("#model option")].some(o => o.value === m), chatModel);
  result.models = await page.$$eval("#model option", options => options.map(o => o.value));

  await page.getByTestId("model").selectOption(chatModel);
  await page.getByTestId("temperature").fill("0");
  await page.getByTestId("max-tokens").fill("12");
  await page.getByTestId("prompt").fill("la la");
  await page.getByTestId("send").click();
  const answer = page.locator('.msg.assistant[data-state="done"]').first();
  await answer.waitFor({ timeout: 60_000 });
  result.chat = {
    user: await page.locator(".msg.user").first().textContent(),
    answer: await answer.textContent(),
    stats: await page.getByTestId("gen-stats").textContent(),
    errorShown: await page.locator(".msg.error").count(),
  };

  await page.getByTestId("model").selectOption(textModel);
  await page.getByTestId("classify-text").fill("buy now");
  await page.getByTestId("classify").click();
  await page.locator("#classResult tr[data-label]").first().waitFor({ timeout: 30_000 });
  result.text = await page.$$eval("#classResult tr[data-label]", rows => rows.map(r => [r.dataset.label, r.cells[1].textContent]));

  await page.getByTestId("model").selectOption(imageModel);
  // Changing the model clears the previous result, so the rows waited for below are the image's.
  await page.waitForFunction(() => document.querySelectorAll("#classResult tr[data-label]").length === 0);
  await page.getByTestId("classify-file").setInputFiles(imageFile);
  await page.getByTestId("classify").click();
  await page.locator("#classResult tr[data-label]").first().waitFor({ timeout: 30_000 });
  result.image = await page.$$eval("#classResult tr[data-label]", rows => rows.map(r => [r.dataset.label, r.cells[1].textContent]));
  result.pageErrors = errors;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
