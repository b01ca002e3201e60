import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = process.cwd();

/** Every module under app/ (tests aside) and the app modules it imports, type-only imports included. */
function importGraph(): Map<string, string[]> {
  const files = (fs.readdirSync(path.join(root, "app"), { recursive: true }) as string[])
    .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f))
    .map((f) => path.posix.join("app", f.split(path.sep).join("/")));
  const resolve = (from: string, spec: string): string | null => {
    let base: string;
    if (spec.startsWith("~/")) base = path.posix.join("app", spec.slice(2));
    else if (spec.startsWith(".")) base = path.posix.join(path.posix.dirname(from), spec);
    else return null; // a package
    for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) {
      const full = path.join(root, candidate);
      if (fs.existsSync(full) && fs.statSync(full).isFile()) return candidate;
    }
    return null;
  };
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = ts.createSourceFile(file, fs.readFileSync(path.join(root, file), "utf8"), ts.ScriptTarget.Latest, true);
    const specs: string[] = [];
    const visit = (node: ts.Node) => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        specs.push(node.moduleSpecifier.text);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0])) {
        specs.push((node.arguments[0] as ts.StringLiteral).text);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        specs.push(node.argument.literal.text);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    graph.set(file, [...new Set(specs.map((s) => resolve(file, s)).filter((f): f is string => f !== null && f.startsWith("app/")))]);
  }
  return graph;
}

/** The import cycles of the graph (strongly connected components of more than one module, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return found;
}

function reachable(graph: Map<string, string[]>, from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(graph.get(from) ?? [])];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(graph.get(f) ?? []));
  }
  return seen;
}

/** The feature folder of a module (app/<folder>/...), or null for app's own root files. */
const folderOf = (file: string) => (file.split("/").length > 2 ? file.split("/")[1] : null);

describe("one import direction", () => {
  const graph = importGraph();

  it("finds the app's modules and their imports", () => {
    // The scan itself works: a broken resolver would make every check below pass vacuously.
    expect(graph.get("app/jobs/tasks.server.ts")).toEqual(expect.arrayContaining(["app/jobs/queue.server.ts"]));
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
  });

  it("no module of app/ imports itself back through others (type-only imports included)", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("the job queue imports no feature: features import it, and the task list imports the features", () => {
    const fromQueue = [...reachable(graph, "app/jobs/queue.server.ts")];
    expect(fromQueue.filter((f) => folderOf(f) !== null)).toEqual([]);
    const importersOfTaskList = [...graph].filter(([, to]) => to.includes("app/jobs/tasks.server.ts")).map(([from]) => from);
    expect(importersOfTaskList).toEqual([]);
    // What the task list pulls in never leads back to app/jobs, except to the queue.
    const pulledIn = reachable(graph, "app/jobs/tasks.server.ts");
    expect([...pulledIn].filter((f) => folderOf(f) === "jobs" && f !== "app/jobs/queue.server.ts")).toEqual([]);
  });
});
