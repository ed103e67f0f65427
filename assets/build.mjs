// Builds the front-end files the app serves, from the npm packages pinned in package.json.
// Run by `make assets` whenever a template starts using another Bootstrap class or icon;
// the output is committed, so running or testing the app needs neither npm nor a network.
//
//   static/css/bootstrap.css      Bootstrap 5 from its Sass sources, only the rules the templates use
//   assets/bootstrap-classes.txt  the classes that start a selector of the whole build (the tests read it)
//   app/icons.svg                 the Bootstrap Icons the templates and the menu data name, as <symbol>s
//   tests/e2e/vendor/axe.min.js   axe-core for the browser tests' accessibility checks
//   static/js/vendor/echarts.min.js  Apache ECharts (Apache-2.0) for the dashboard's charts
import { readFileSync, writeFileSync, readdirSync, mkdirSync, copyFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";
import { PurgeCSS } from "purgecss";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const MODULES = join(HERE, "node_modules");

function walk(dir, suffix) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path, suffix);
    return path.endsWith(suffix) ? [path] : [];
  });
}

// Where class names and icon names are written: templates, the Python that renders
// markup (badges, form widgets) and the scripts that add classes.
const CONTENT = [
  ...walk(join(ROOT, "templates"), ".html"),
  ...walk(join(ROOT, "app"), ".py"),
  ...walk(join(ROOT, "static", "js"), ".js"),
];

// Classes put together at run time, which no file spells out whole: state badges
// (`text-bg-` + labels.STATE_COLOURS) and flash messages (`alert-` + the category).
const COLOURS = "primary|secondary|success|danger|warning|info|light|dark";
const SAFELIST = [new RegExp(`^text-bg-(${COLOURS})$`), new RegExp(`^alert-(${COLOURS})$`)];

// --- Bootstrap -------------------------------------------------------------------------------
const full = sass.compile(join(HERE, "bootstrap.scss"), {
  style: "compressed",
  loadPaths: [MODULES],
  charset: false, // no byte-order mark: the file is served as UTF-8 and starts with our banner
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin", "color-functions", "if-function"],
}).css.replace(/^\uFEFF/, "");

// The classes that start a selector (`.nav-link:hover`, not `.nav-fill .nav-item`): a template
// using one expects its rule, so the tests check that the reduced build still has it.
const classes = new Set();
for (const rule of full.replace(/\/\*[\s\S]*?\*\//g, "").matchAll(/([^{}]+)\{/g)) {
  for (const selector of rule[1].split(",")) {
    const head = selector.trim().match(/^\.(-?[_a-zA-Z][\w-]*)/);
    if (head) classes.add(head[1]);
  }
}
writeFileSync(
  join(HERE, "bootstrap-classes.txt"),
  "# The classes that start a selector of the whole Bootstrap build (`make assets`, assets/build.mjs).\n" +
    [...classes].sort().join("\n") + "\n",
);

const [purged] = await new PurgeCSS().purge({
  content: CONTENT.map((file) => ({ raw: readFileSync(file, "utf8"), extension: "html" })),
  css: [{ raw: full }],
  safelist: { standard: SAFELIST },
  variables: true, // drop the custom properties no kept rule reads
  keyframes: true,
  fontFace: true,
});
const version = JSON.parse(readFileSync(join(MODULES, "bootstrap", "package.json"), "utf8")).version;
writeFileSync(
  join(ROOT, "static", "css", "bootstrap.css"),
  `/*! Bootstrap v${version} (MIT), only the rules the templates use: built by \`make assets\` */\n${purged.css}\n`,
);

// --- icons -----------------------------------------------------------------------------------
// Names in icon('…') calls (both sides of an `if`), plus the ones the data names (assets/icons.txt).
const names = new Set(
  readFileSync(join(HERE, "icons.txt"), "utf8").split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean),
);
for (const file of CONTENT.filter((f) => f.endsWith(".html"))) {
  for (const call of readFileSync(file, "utf8").matchAll(/icon\(([^)]*)\)/g)) {
    const literal = call[1].match(/^\s*'([a-z0-9-]+)'(?:\s*if .*? else\s*'([a-z0-9-]+)')?/);
    if (literal) [literal[1], literal[2]].filter(Boolean).forEach((n) => names.add(n));
  }
}
const symbols = [...names].sort().map((name) => {
  const svg = readFileSync(join(MODULES, "bootstrap-icons", "icons", `${name}.svg`), "utf8");
  const inner = svg.replace(/^[\s\S]*?<svg[^>]*>/, "").replace(/<\/svg>\s*$/, "").replace(/\s*\n\s*/g, "");
  return `<symbol id="${name}" viewBox="0 0 16 16">${inner}</symbol>`;
});
const iconsVersion = JSON.parse(readFileSync(join(MODULES, "bootstrap-icons", "package.json"), "utf8")).version;
writeFileSync(
  join(ROOT, "app", "icons.svg"),
  `<!-- Bootstrap Icons v${iconsVersion} (MIT): the icons the app names, built by \`make assets\` -->\n` +
    `<svg xmlns="http://www.w3.org/2000/svg">\n${symbols.join("\n")}\n</svg>\n`,
);

// --- axe-core for the browser tests ------------------------------------------------------------
mkdirSync(join(ROOT, "tests", "e2e", "vendor"), { recursive: true });
copyFileSync(join(MODULES, "axe-core", "axe.min.js"), join(ROOT, "tests", "e2e", "vendor", "axe.min.js"));

// --- Apache ECharts for the dashboard (its "common" build: the usual charts with legends and tooltips) -----------
mkdirSync(join(ROOT, "static", "js", "vendor"), { recursive: true });
copyFileSync(join(MODULES, "echarts", "dist", "echarts.common.min.js"), join(ROOT, "static", "js", "vendor", "echarts.min.js"));

console.log(
  `bootstrap.css ${(purged.css.length / 1024).toFixed(1)} KB of ${(full.length / 1024).toFixed(1)} KB; ` +
    `${symbols.length} icons; files read: ${CONTENT.map((f) => relative(ROOT, f)).length}`,
);
