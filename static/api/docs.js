// Renders /api/v1/schema/ (OpenAPI 3, JSON) as a readable list of operations.
// Served from our own static files: the CSP allows no inline script and no CDN.
"use strict";

(function () {
  const METHODS = ["get", "post", "put", "patch", "delete"];

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => node.setAttribute(name, value));
    (children || []).forEach((child) => {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function resolve(schema, spec) {
    if (schema && schema.$ref) {
      const name = schema.$ref.split("/").pop();
      return { name, schema: spec.components.schemas[name] };
    }
    return { name: null, schema };
  }

  function describeType(schema, spec) {
    if (!schema) return "";
    if (schema.$ref) return resolve(schema, spec).name;
    if (schema.type === "array") return describeType(schema.items, spec) + "[]";
    if (schema.allOf) return schema.allOf.map((s) => describeType(s, spec)).join(" & ");
    if (schema.oneOf) return schema.oneOf.map((s) => describeType(s, spec)).join(" | ");
    if (schema.enum) return schema.enum.filter((v) => v !== "" && v !== null).join(" | ");
    return (schema.type || "object") + (schema.format ? " (" + schema.format + ")" : "");
  }

  function fieldsTable(schema, spec) {
    const resolved = resolve(schema, spec).schema;
    if (!resolved || !resolved.properties) return el("p", {}, [describeType(schema, spec)]);
    const required = new Set(resolved.required || []);
    const rows = Object.entries(resolved.properties).map(([name, prop]) =>
      el("tr", {}, [
        el("td", {}, [el("code", {}, [name])]),
        el("td", {}, [describeType(prop, spec) + (prop.nullable ? ", nullable" : "")]),
        el("td", {}, [required.has(name) ? "required" : ""]),
        el("td", {}, [prop.description || (prop.readOnly ? "read only" : "")]),
      ])
    );
    return el("table", {}, [
      el("thead", {}, [el("tr", {}, ["field", "type", "", "notes"].map((h) => el("th", {}, [h])))]),
      el("tbody", {}, rows),
    ]);
  }

  function operation(path, method, op, spec) {
    const parts = [
      el("summary", {}, [
        el("span", { class: "api-method api-method-" + method }, [method]),
        " " + path,
      ]),
    ];
    if (op.description) parts.push(el("p", {}, [op.description]));
    const params = op.parameters || [];
    if (params.length) {
      parts.push(el("h4", {}, ["Parameters"]));
      parts.push(
        el("table", {}, [
          el("tbody", {}, params.map((p) =>
            el("tr", {}, [
              el("td", {}, [el("code", {}, [p.name])]),
              el("td", {}, [p.in + (p.required ? ", required" : "")]),
              el("td", {}, [describeType(p.schema, spec)]),
              el("td", {}, [p.description || ""]),
            ])
          )),
        ])
      );
    }
    const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
    if (body) {
      parts.push(el("h4", {}, ["Request body (JSON): " + describeType(body.schema, spec)]));
      parts.push(fieldsTable(body.schema, spec));
    }
    parts.push(el("h4", {}, ["Responses"]));
    parts.push(
      el("table", {}, [
        el("tbody", {}, Object.entries(op.responses || {}).map(([code, response]) => {
          const content = response.content || {};
          const types = Object.entries(content).map(([type, c]) => type + ": " + describeType(c.schema, spec));
          return el("tr", {}, [
            el("td", {}, [el("code", {}, [code])]),
            el("td", {}, [response.description || ""]),
            el("td", {}, [types.join("; ")]),
          ]);
        })),
      ])
    );
    return el("details", { class: "api-op", id: op.operationId || "" }, parts);
  }

  function render(spec, root) {
    root.replaceChildren();
    Object.entries(spec.paths).forEach(([path, item]) => {
      METHODS.filter((m) => item[m]).forEach((m) => root.append(operation(path, m, item[m], spec)));
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("api-docs");
    if (!root) return;
    fetch(root.dataset.schemaUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error("the schema answered " + response.status);
        return response.json();
      })
      .then((spec) => render(spec, root))
      .catch((error) => root.replaceChildren(el("p", { class: "api-error" }, ["Could not load the schema: " + error.message])));
  });
})();
