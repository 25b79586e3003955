/* Small DOM helpers of the board page and the one renderer of API problems: an install request
   that was sent, a connect prompt, or an error banner. Text goes in through textContent only. */

export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of [].concat(children)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function show(node, visible) {
  node.classList.toggle("hidden", !visible);
}

export function board() {
  const root = document.getElementById("board");
  const names = JSON.parse(document.getElementById("integration-names").textContent);
  return {
    root,
    id: root.dataset.boardId,
    teamId: root.dataset.teamId,
    url: root.dataset.boardUrl,
    name: (key) => names[key] || key,
  };
}

/* Where to connect an integration, coming back to this board afterwards. */
export function connectHref(connectUrl, context) {
  const params = new URLSearchParams({ team: context.teamId, next: context.url });
  return `${connectUrl}${connectUrl.includes("?") ? "&" : "?"}${params}`;
}

function fieldErrors(detail) {
  const items = [];
  const walk = (prefix, value) => {
    if (Array.isArray(value)) {
      if (value.every((entry) => typeof entry === "string")) items.push(`${prefix}${value.join(" ")}`);
      else value.forEach((entry) => walk(prefix, entry));
    } else if (value && typeof value === "object") {
      for (const [name, inner] of Object.entries(value)) {
        walk(name === "non_field_errors" ? prefix : `${prefix}${name}: `, inner);
      }
    } else if (value) {
      items.push(`${prefix}${value}`);
    }
  };
  walk("", detail);
  return items;
}

/* The integrations strip follows a request made from the paste box, the picker or a form. */
function markInstallRequested(key) {
  const chip = document.querySelector(`.integration-chip[data-integration="${CSS.escape(key || "")}"]`);
  if (!chip || chip.dataset.status !== "not-installed") return;
  chip.replaceChildren(
    chip.querySelector("strong"),
    el("span", { class: "muted", "data-testid": "install-request-pending", text: "Install request sent to your admins" }),
  );
}

/* The node that says what happened to a request that did not simply succeed. `newTab` opens
   the connect link in a new tab: a dialog holding typed text stays as it is, ready to retry. */
export function problemNode(result, context, testid = "error-banner", { newTab = false } = {}) {
  const data = result.data || {};
  if (result.status === 202 && data.install_request) {
    markInstallRequested(data.install_request.integration);
    return el("div", { class: "banner-info", role: "status", "data-testid": "install-requested" }, [
      el("p", { text: data.message }),
    ]);
  }
  const error = data.error || { code: "error", message: "Something went wrong.", detail: {} };
  const detail = error.detail || {};
  if (detail.connect_url) {
    const name = context.name(detail.integration || "");
    const verb = error.code === "needs_reconnect" ? "Reconnect" : "Connect";
    const label = `${verb} ${name || "your account"}${newTab ? " (new tab)" : ""}`;
    return el("div", { class: "banner-warn connect-prompt", role: "alert", "data-testid": "connect-prompt" }, [
      el("p", { text: error.message }),
      el("a", {
        class: "button small", href: connectHref(detail.connect_url, context), "data-testid": "connect-link",
        target: newTab ? "_blank" : null, rel: newTab ? "noopener" : null, text: label,
      }),
    ]);
  }
  const children = [el("p", { text: error.message })];
  if (error.code === "invalid") {
    const items = fieldErrors(detail);
    if (items.length) children.push(el("ul", {}, items.map((item) => el("li", { text: item }))));
  } else if (error.code === "not_installed") {
    children.push(el("a", { href: "/integrations/", text: "Install or request it on the Integrations page" }));
  } else if (error.code === "not_authenticated" || result.status === 401) {
    children.push(el("a", { href: `/login?next=${encodeURIComponent(context.url)}`, text: "Log in again" }));
  }
  return el("div", { class: "banner-error", role: "alert", "data-testid": testid, "data-code": error.code }, children);
}

export function renderProblem(container, result, context, testid, options) {
  container.replaceChildren(problemNode(result, context, testid, options));
}

let statusTimer = null;

/* A short confirmation at the top of the board ("3 cards imported"). */
export function flash(message) {
  const status = document.getElementById("board-status");
  status.textContent = message;
  show(status, true);
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => show(status, false), 8000);
}

export function busy(button, on, label) {
  if (on) {
    button.dataset.label = button.textContent;
    button.textContent = label;
    button.disabled = true;
  } else {
    button.textContent = button.dataset.label || button.textContent;
    button.disabled = false;
  }
}
