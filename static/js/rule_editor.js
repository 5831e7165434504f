/* The automation rule editor in the admin (tickets/automation/editor.py gives the metadata).
 *
 * Each textarea[data-rule-editor] (conditions, actions) gets rows of real inputs built from the
 * json_script element its data-meta names. Every change writes the JSON list back into the
 * textarea, so the form posts the same JSON a power user would type and the server validates it
 * as before; validation messages that name a row ("Condition 2: ...") are shown on that row.
 * "Edit as JSON" shows the textarea itself. No inline script or style: CSP forbids them. */
(function () {
  "use strict";

  var uid = 0;
  var PREF = "helpdesk.ruleEditor.json";

  function nextId(prefix) {
    uid += 1;
    return "re-" + prefix + "-" + uid;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  function option(value, label, selected) {
    var node = el("option", { value: value, text: label });
    if (selected) node.selected = true;
    return node;
  }

  function cell(labelText, control, help) {
    var wrapper = el("div", { class: "re-cell" });
    var id = control.id || nextId("in");
    control.id = id;
    wrapper.appendChild(el("label", { for: id, text: labelText }));
    wrapper.appendChild(control);
    if (help) {
      var helpId = id + "-help";
      wrapper.appendChild(el("p", { class: "re-help", id: helpId, text: help }));
      control.setAttribute("aria-describedby", helpId);
    }
    return wrapper;
  }

  function button(text, cls, label) {
    return el("button", { type: "button", class: "button re-btn " + (cls || ""), text: text, "aria-label": label });
  }

  function parseList(text) {
    var value = (text || "").trim();
    if (!value) return [];
    var parsed = JSON.parse(value);
    if (!Array.isArray(parsed)) throw new Error("not a list");
    parsed.forEach(function (item) {
      if (!item || typeof item !== "object" || Array.isArray(item)) throw new Error("not a list of objects");
    });
    return parsed;
  }

  function sameText(a, b) {
    return String(a).toLowerCase() === String(b).toLowerCase();
  }

  /* --- conditions ------------------------------------------------------------------------ */

  function conditionRow(meta, cond) {
    var t = meta.texts;
    var byName = {};
    meta.fields.forEach(function (f) { byName[f.name] = f; });
    cond = cond || { field: meta.fields[0].name };
    var spec = byName[cond.field];
    if (!spec) throw new Error("unknown field " + cond.field);

    var row = el("div", { class: "re-row", role: "group" });
    var field = el("select", { class: "re-field" });
    meta.fields.forEach(function (f) { field.appendChild(option(f.name, f.label, f.name === spec.name)); });
    var operator = el("select", { class: "re-operator" });
    var valueCell = el("div", { class: "re-value" });
    var remove = button(t.remove, "re-remove");
    var error = el("p", { class: "re-error", id: nextId("err"), hidden: true });
    var controls = el("div", { class: "re-controls" }, [cell(t.field, field), cell(t.operator, operator), valueCell,
      el("div", { class: "re-buttons" }, [remove])]);
    row.appendChild(controls);
    row.appendChild(error);

    var state = { checks: [], slug: null, value: null };

    function build(f, initial) {
      spec = f;
      operator.textContent = "";
      var op = "in";
      if (f.kind === "list") op = initial && "not_in" in initial && !("in" in initial) ? "not_in" : "in";
      if (f.kind === "flag") {
        var flag = initial ? initial[f.key] : true;
        if (initial && typeof flag !== "boolean") throw new Error("flag not boolean");
        op = String(flag);
      }
      if (f.kind === "custom") op = "equals";
      f.operators.forEach(function (pair) { operator.appendChild(option(pair[0], pair[1], pair[0] === op)); });
      valueCell.textContent = "";
      state.checks = [];
      state.slug = null;
      state.value = null;
      if (f.kind === "list") {
        var chosen = initial ? initial[op] : [];
        if (initial && !Array.isArray(chosen)) throw new Error("values not a list");
        chosen = chosen || [];
        var box = el("fieldset", { class: "re-choices" }, [el("legend", { text: t.value })]);
        var known = f.choices.slice();
        chosen.forEach(function (v) {
          var hit = known.some(function (pair) { return String(pair[0]) === String(v); });
          if (!hit) known.push([v, String(v)]);
        });
        known.forEach(function (pair) {
          var input = el("input", { type: "checkbox", value: pair[0], id: nextId("chk") });
          input.checked = chosen.some(function (v) { return String(v) === String(pair[0]); });
          state.checks.push(input);
          box.appendChild(el("label", { class: "re-check", for: input.id }, [input, document.createTextNode(" " + pair[1])]));
        });
        valueCell.appendChild(box);
      } else if (f.kind === "custom") {
        var slug = el("select", { class: "re-slug" });
        slug.appendChild(option("", t.choose, false));
        var currentSlug = initial ? initial.slug : "";
        var hasSlug = false;
        f.fields.forEach(function (cf) {
          hasSlug = hasSlug || cf.slug === currentSlug;
          slug.appendChild(option(cf.slug, cf.label, cf.slug === currentSlug));
        });
        if (currentSlug && !hasSlug) slug.appendChild(option(currentSlug, currentSlug, true));
        var listId = nextId("opts");
        var datalist = el("datalist", { id: listId });
        var value = el("input", { type: "text", class: "re-text", list: listId });
        value.value = initial && initial.value !== undefined ? String(initial.value) : "";
        var fillOptions = function () {
          datalist.textContent = "";
          f.fields.forEach(function (cf) {
            if (cf.slug === slug.value) cf.options.forEach(function (o) { datalist.appendChild(option(o, o, false)); });
          });
        };
        slug.addEventListener("change", fillOptions);
        fillOptions();
        state.slug = slug;
        state.value = value;
        valueCell.appendChild(cell(t.key, slug));
        valueCell.appendChild(cell(t.value, value));
        valueCell.appendChild(datalist);
      }
    }

    build(spec, cond.field === spec.name && cond !== undefined && Object.keys(cond).length > 1 ? cond : null);
    field.addEventListener("change", function () { build(byName[field.value], null); });

    return {
      node: row, error: error, first: field, remove: remove,
      read: function () {
        var out = { field: spec.name };
        if (spec.kind === "list") {
          out[operator.value] = state.checks.filter(function (c) { return c.checked; }).map(function (c) { return c.value; });
        } else if (spec.kind === "flag") {
          out[spec.key] = operator.value === "true";
        } else if (spec.kind === "custom") {
          out.slug = state.slug.value;
          out.value = state.value.value;
        }
        return out;
      },
      label: function (n) {
        row.setAttribute("aria-label", meta.texts.row + " " + n);
        remove.setAttribute("aria-label", meta.texts.remove + " " + meta.texts.row.toLowerCase() + " " + n);
      },
    };
  }

  /* --- actions --------------------------------------------------------------------------- */

  function paramControl(p, value, t) {
    var control;
    var present = value !== undefined && value !== null;
    if (p.kind === "textarea" || p.kind === "lines") {
      control = el("textarea", { rows: p.kind === "lines" ? 3 : 4, cols: 60, class: "re-text" });
      if (present) control.value = Array.isArray(value) ? value.join("\n") : String(value);
    } else if (p.kind === "choice") {
      control = el("select", { class: "re-param-select" });
      control.appendChild(option("", t.choose, !present || value === ""));
      var hit = false;
      p.choices.forEach(function (pair) {
        var match = present && String(pair[0]) === String(value);
        hit = hit || match;
        control.appendChild(option(pair[0], pair[1], match));
      });
      if (present && value !== "" && !hit) control.appendChild(option(String(value), String(value), true));
    } else {
      control = el("input", { type: p.kind === "number" ? "number" : "text", class: "re-text" });
      if (p.kind === "number") control.setAttribute("step", "any");
      if (present) control.value = String(value);
    }
    if (p.required) control.setAttribute("aria-required", "true");
    control.setAttribute("data-param", p.name);
    return control;
  }

  function actionRow(meta, item) {
    var t = meta.texts;
    var byName = {};
    meta.actions.forEach(function (a) { byName[a.name] = a; });
    if (item && !byName[item.action]) throw new Error("unknown action " + item.action);
    var loadedName = item ? item.action : "";

    var row = el("div", { class: "re-row", role: "group" });
    var action = el("select", { class: "re-action" });
    action.appendChild(option("", t.choose, !item));
    meta.actions.forEach(function (a) { action.appendChild(option(a.name, a.label, item && a.name === item.action)); });
    var paramsCell = el("div", { class: "re-params" });
    var up = button("↑", "re-up");
    var down = button("↓", "re-down");
    var remove = button(t.remove, "re-remove");
    var error = el("p", { class: "re-error", id: nextId("err"), hidden: true });
    row.appendChild(el("div", { class: "re-controls" }, [cell(t.action, action), paramsCell,
      el("div", { class: "re-buttons" }, [up, down, remove])]));
    row.appendChild(error);

    var controls = [];
    var jsonInput = null;
    var extras = {};

    function build(spec, initial) {
      paramsCell.textContent = "";
      controls = [];
      jsonInput = null;
      extras = {};
      if (!spec) return;
      initial = initial || {};
      if (spec.params === null) {
        var rest = {};
        Object.keys(initial).forEach(function (k) { if (k !== "action") rest[k] = initial[k]; });
        jsonInput = el("input", { type: "text", class: "re-text re-json" });
        jsonInput.value = Object.keys(rest).length ? JSON.stringify(rest) : "";
        paramsCell.appendChild(cell(t.json, jsonInput));
        return;
      }
      if (!spec.params.length) paramsCell.appendChild(el("p", { class: "re-help", text: t.none }));
      spec.params.forEach(function (p) {
        var control = paramControl(p, initial[p.name], t);
        controls.push({ spec: p, control: control });
        paramsCell.appendChild(cell(p.label + (p.required ? " *" : ""), control, p.help));
        if (p.kind === "suggest") {
          var listId = nextId("opts");
          var datalist = el("datalist", { id: listId });
          p.choices.forEach(function (pair) { datalist.appendChild(option(pair[0], pair[1], false)); });
          control.setAttribute("list", listId);
          paramsCell.appendChild(datalist);
        }
      });
      var declared = spec.params.map(function (p) { return p.name; });
      Object.keys(initial).forEach(function (k) {
        if (k !== "action" && declared.indexOf(k) < 0) extras[k] = initial[k];
      });
    }

    build(item ? byName[item.action] : null, item);
    action.addEventListener("change", function () {
      build(byName[action.value], action.value === loadedName && item ? item : null);
    });

    return {
      node: row, error: error, first: action, remove: remove, up: up, down: down,
      read: function () {
        var out = { action: action.value };
        if (jsonInput) {
          var text = jsonInput.value.trim();
          if (text) {
            var parsed;
            try { parsed = JSON.parse(text); } catch (e) { parsed = null; }
            if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
              Object.keys(parsed).forEach(function (k) { if (k !== "action") out[k] = parsed[k]; });
            } else {
              out.parameters_json = text;  /* invalid: the server's validator says what is wrong */
            }
          }
          return out;
        }
        controls.forEach(function (c) {
          var raw = c.control.value;
          if (c.spec.kind === "lines") {
            var lines = raw.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
            if (lines.length) out[c.spec.name] = lines;
          } else if (c.spec.kind === "number") {
            if (raw.trim() !== "") out[c.spec.name] = isFinite(Number(raw)) ? Number(raw) : raw;
          } else if (raw !== "") {
            out[c.spec.name] = raw;
          }
        });
        Object.keys(extras).forEach(function (k) { if (!(k in out)) out[k] = extras[k]; });
        return out;
      },
      label: function (n, count) {
        row.setAttribute("aria-label", t.row + " " + n);
        remove.setAttribute("aria-label", t.remove + " " + t.row.toLowerCase() + " " + n);
        up.setAttribute("aria-label", t.up + ": " + t.row.toLowerCase() + " " + n);
        down.setAttribute("aria-label", t.down + ": " + t.row.toLowerCase() + " " + n);
        up.disabled = n === 1;
        down.disabled = n === count;
      },
    };
  }

  /* --- one editor per textarea ----------------------------------------------------------- */

  function setup(textarea) {
    var metaNode = document.getElementById(textarea.getAttribute("data-meta"));
    if (!metaNode) return;
    var meta = JSON.parse(metaNode.textContent);
    var kind = meta.kind;
    var t = meta.texts;
    var makeRow = kind === "conditions" ? conditionRow : actionRow;
    var rows = [];
    var dirty = false;

    var editor = el("div", { class: "rule-editor", "data-kind": kind, id: textarea.id + "-editor" });
    var toggle = el("button", { type: "button", class: "button re-toggle", "aria-pressed": "false",
      "aria-controls": textarea.id, text: t.json_mode });
    var notice = el("p", { class: "re-notice", role: "status", "aria-live": "polite" });
    var intro = el("p", { class: "re-help", text: kind === "conditions" ? t.all : t.order });
    var list = el("div", { class: "re-rows" });
    var empty = el("p", { class: "re-empty", text: t.empty || "" });
    var add = button(t.add, "re-add");
    var body = el("div", { class: "re-body" }, [intro, list, empty, add]);
    editor.appendChild(el("div", { class: "re-toolbar" }, [toggle, notice]));
    editor.appendChild(body);
    textarea.parentNode.insertBefore(editor, textarea);
    editor.appendChild(textarea);

    function relabel() {
      rows.forEach(function (r, i) { r.label(i + 1, rows.length); });
      empty.hidden = rows.length > 0 || kind !== "conditions";
    }

    function sync() {
      if (!body.hidden) textarea.value = JSON.stringify(rows.map(function (r) { return r.read(); }));
    }

    function changed() {
      dirty = true;
      sync();
    }

    function attach(row, index) {
      row.remove.addEventListener("click", function () {
        var at = rows.indexOf(row);
        rows.splice(at, 1);
        row.node.remove();
        relabel();
        changed();
        (rows[at] ? rows[at].first : rows[at - 1] ? rows[at - 1].first : add).focus();
      });
      if (row.up) {
        row.up.addEventListener("click", function () { move(row, -1, row.up); });
        row.down.addEventListener("click", function () { move(row, 1, row.down); });
      }
      if (index === undefined || index >= rows.length) {
        rows.push(row);
        list.appendChild(row.node);
      }
    }

    function move(row, step, focusButton) {
      var at = rows.indexOf(row);
      var to = at + step;
      if (to < 0 || to >= rows.length) return;
      rows.splice(at, 1);
      rows.splice(to, 0, row);
      if (step < 0) list.insertBefore(row.node, rows[to + 1].node);
      else list.insertBefore(row.node, rows[to - 1].node.nextSibling);
      relabel();
      changed();
      (focusButton.disabled ? row.first : focusButton).focus();
    }

    function showErrors() {
      (meta.errors || []).forEach(function (err) {
        var row = err.row ? rows[err.row - 1] : null;
        if (!row) return;
        row.error.textContent = err.message;
        row.error.hidden = false;
        row.node.classList.add("re-invalid");
        row.first.setAttribute("aria-invalid", "true");
        row.first.setAttribute("aria-describedby", row.error.id);
      });
    }

    function load() {
      var items = parseList(textarea.value);
      var built = items.map(function (item) { return makeRow(meta, item); });
      rows = [];
      list.textContent = "";
      built.forEach(function (r) { attach(r); });
      relabel();
    }

    var formRow = textarea.closest(".form-row");

    function setMode(json) {
      body.hidden = json;
      if (formRow) formRow.classList.toggle("re-rows-mode", !json);
      textarea.hidden = !json;
      toggle.setAttribute("aria-pressed", json ? "true" : "false");
      toggle.textContent = json ? t.rows_mode : t.json_mode;
    }

    add.addEventListener("click", function () {
      var row = makeRow(meta, null);
      attach(row);
      relabel();
      changed();
      row.first.focus();
    });
    function edited(event) {
      /* The server's message was about the row as it was: once the row changes, it goes. */
      rows.forEach(function (r) {
        if (!r.node.contains(event.target) || r.error.hidden) return;
        r.error.hidden = true;
        r.node.classList.remove("re-invalid");
        r.first.removeAttribute("aria-invalid");
      });
      changed();
    }

    body.addEventListener("change", edited);
    body.addEventListener("input", edited);
    toggle.addEventListener("click", function () {
      if (body.hidden) {
        try {
          load();
          dirty = false;
          notice.textContent = "";
          setMode(false);
          try { window.localStorage.removeItem(PREF); } catch (e) { /* storage off */ }
          if (rows[0]) rows[0].first.focus();
        } catch (e) {
          notice.textContent = t.bad_json;
        }
      } else {
        if (dirty) sync();
        setMode(true);
        try { window.localStorage.setItem(PREF, "1"); } catch (e) { /* storage off */ }
        textarea.focus();
      }
    });
    if (textarea.form) textarea.form.addEventListener("submit", function () { if (dirty) sync(); });

    var preferJson = false;
    try { preferJson = window.localStorage.getItem(PREF) === "1"; } catch (e) { /* storage off */ }
    try {
      load();
      showErrors();
      setMode(preferJson);
    } catch (e) {
      setMode(true);
      notice.textContent = t.bad_json;
    }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-rule-editor]"), setup);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
