// Option files (--file def.json): read and parsed, with usage errors that name the file.
import { readFileSync } from "node:fs";
import { usage } from "../errors.mjs";

export function readJsonFile(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw usage(`cannot read ${path}: ${error.code ?? error.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usage(`${path} is not valid JSON: ${error.message}`);
  }
}
