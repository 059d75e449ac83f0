// Option files (--file def.json): read and parsed, with usage errors that name the file.
import { readFileSync } from "node:fs";
import { codeOf, messageOf, usage } from "../errors";

/** The parsed JSON of a file; its shape is the API's to check, so it stays unknown here. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw usage(`cannot read ${path}: ${codeOf(error) ?? messageOf(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usage(`${path} is not valid JSON: ${messageOf(error)}`);
  }
}
