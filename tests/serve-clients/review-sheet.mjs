// Rates items on a review sheet in headless Chromium and exports the ratings, as a reviewer would.
// Usage: node review-sheet.mjs SHEET.html OUT.json VERDICT... (one verdict per item to rate: correct, wrong, unsure or
// skip; the first rated item also gets a comment). Prints what the page showed as JSON; exits 1 on failure.
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";

const [sheet, out, ...verdicts] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  timeout: 60_000,
});
try {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", e => errors.push(String(e)));
  await page.goto(pathToFileURL(sheet).href, { waitUntil: "load" });
  const items = page.getByTestId("item");
  const count = await items.count();
  let commented = false;
  for (let i = 0; i < verdicts.length && i < count; i++) {
    if (verdicts[i] === "skip") continue;
    await items.nth(i).getByTestId(verdicts[i]).check();
    if (!commented) { await items.nth(i).getByTestId("comment").fill("looks like a " + verdicts[i] + " answer"); commented = true; }
  }
  const progress = await page.getByTestId("progress").textContent();
  const pixels = await page.locator(".pixels").count();
  const images = await page.locator("img.input").count();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export").click()]);
  await download.saveAs(out);
  console.log(JSON.stringify({ items: count, progress, pixels, images, suggested: download.suggestedFilename(), pageErrors: errors }));
} finally {
  await browser.close();
}
