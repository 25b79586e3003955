/* Browsing a tool through /api/v1/integrations/{key}/picker/: workspaces -> projects -> tasks.

   `Cascade` fills the integration / workspace / project selects (the import picker and the
   create form both use it); `Picker` adds the task list with search, "Load more" and the
   selection imported in one request. Stale answers (the user moved on) are ignored. */

import { api, query } from "./board.api.js";
import { el, show, renderProblem, flash, busy } from "./board.ui.js";
import { upsertCard } from "./board.cards.js";

function fill(select, items, placeholder) {
  select.replaceChildren(
    el("option", { value: "", text: placeholder }),
    ...items.map((item) => el("option", { value: item.id, text: item.name || item.id })),
  );
}

export class Cascade {
  constructor({ context, integration, workspace, project, problem, onProject }) {
    Object.assign(this, { context, integration, workspace, project, problem });
    this.onProject = onProject || (() => {});
    this.loadedFor = null;
    this.generation = 0;
    integration.addEventListener("change", () => this.loadWorkspaces());
    workspace.addEventListener("change", () => this.loadProjects());
    project.addEventListener("change", () => this.onProject());
  }

  browse(params) {
    const path = `integrations/${encodeURIComponent(this.integration.value)}/picker/`;
    return api("GET", path + query({ team: this.context.teamId, ...params }));
  }

  /* The first opening loads the workspaces; reopening keeps where the user was. */
  ensureLoaded() {
    if (this.integration.value && this.loadedFor !== this.integration.value) this.loadWorkspaces();
  }

  reset(select, text) {
    fill(select, [], text);
    select.disabled = true;
  }

  async loadWorkspaces() {
    const generation = ++this.generation;
    this.loadedFor = this.integration.value;
    this.problem.replaceChildren();
    this.reset(this.workspace, "Loading…");
    this.reset(this.project, "—");
    this.onProject();
    const result = await this.browse({});
    if (generation !== this.generation) return;
    if (!result.ok) {
      this.reset(this.workspace, "—");
      this.loadedFor = null;
      renderProblem(this.problem, result, this.context);
      return;
    }
    fill(this.workspace, result.data.items, "Choose a workspace");
    this.workspace.disabled = false;
    if (result.data.items.length === 1) {
      this.workspace.value = result.data.items[0].id;
      this.loadProjects();
    }
  }

  async loadProjects() {
    const generation = ++this.generation;
    this.problem.replaceChildren();
    this.reset(this.project, this.workspace.value ? "Loading…" : "—");
    this.onProject();
    if (!this.workspace.value) return;
    const result = await this.browse({ workspace: this.workspace.value });
    if (generation !== this.generation) return;
    if (!result.ok) {
      this.reset(this.project, "—");
      renderProblem(this.problem, result, this.context);
      return;
    }
    fill(this.project, result.data.items, result.data.items.length ? "Choose a project" : "No projects");
    this.project.disabled = result.data.items.length === 0;
    this.onProject();
  }
}

export class Picker {
  constructor(context) {
    this.context = context;
    this.dialog = document.getElementById("import-dialog");
    this.list = document.getElementById("picker-tasks");
    this.more = document.getElementById("picker-more");
    this.search = document.getElementById("picker-q");
    this.searchButton = document.getElementById("picker-search-button");
    this.importButton = document.getElementById("picker-import");
    this.count = document.getElementById("picker-count");
    this.hint = document.getElementById("picker-hint");
    this.problem = document.getElementById("picker-problem");
    this.selected = new Map(); // task id -> name, in the order they were ticked
    this.cursor = null;
    this.generation = 0;
    this.cascade = new Cascade({
      context,
      integration: document.getElementById("picker-integration"),
      workspace: document.getElementById("picker-workspace"),
      project: document.getElementById("picker-project"),
      problem: this.problem,
      onProject: () => this.projectChanged(),
    });
    document.getElementById("picker-search").addEventListener("submit", (event) => {
      event.preventDefault();
      this.loadTasks({ append: false });
    });
    this.more.addEventListener("click", () => this.loadTasks({ append: true }));
    this.list.addEventListener("change", (event) => this.toggled(event.target));
    this.importButton.addEventListener("click", () => this.importSelected());
  }

  open() {
    this.dialog.showModal();
    this.cascade.ensureLoaded();
  }

  /* A new project (or workspace) starts a new selection: an import reads one project's list. */
  projectChanged() {
    this.selected.clear();
    this.cursor = null;
    this.list.replaceChildren();
    show(this.more, false);
    const workspace = this.cascade.workspace.value;
    this.search.disabled = !workspace;
    this.searchButton.disabled = !workspace;
    this.hint.textContent = workspace
      ? "Choose a project to list its tasks, or search the whole workspace."
      : "Choose a workspace and a project to list its tasks, or search a workspace.";
    show(this.hint, true);
    this.updateCount();
    if (this.cascade.project.value) this.loadTasks({ append: false });
  }

  async loadTasks({ append }) {
    const workspace = this.cascade.workspace.value;
    const project = this.cascade.project.value;
    const q = this.search.value.trim();
    if (!project && !(workspace && q)) {
      this.hint.textContent = "Choose a project, or type words to search the workspace.";
      show(this.hint, true);
      return;
    }
    const generation = ++this.generation;
    this.problem.replaceChildren();
    busy(append ? this.more : this.searchButton, true, "Loading…");
    const result = await this.cascade.browse({ workspace, project, q, cursor: append ? this.cursor : "" });
    busy(append ? this.more : this.searchButton, false);
    if (generation !== this.generation) return;
    if (!result.ok) {
      renderProblem(this.problem, result, this.context);
      return;
    }
    if (!append) this.list.replaceChildren();
    for (const task of result.data.items) this.list.append(this.taskNode(task));
    this.cursor = result.data.next_cursor;
    show(this.more, Boolean(this.cursor));
    const empty = this.list.children.length === 0;
    this.hint.textContent = empty ? "No tasks match." : "";
    show(this.hint, empty);
  }

  taskNode(task) {
    const id = `picker-task-${task.id}`;
    const meta = [task.status, task.assignee_name].filter(Boolean).join(" · ");
    return el("li", { class: "picker-task" }, [
      el("input", {
        type: "checkbox", id, value: task.id, "data-name": task.name,
        "data-testid": "picker-task", checked: this.selected.has(task.id),
      }),
      el("label", { for: id }, [
        el("span", { class: "picker-task-name", text: task.name || task.id }),
        meta ? el("span", { class: "muted", text: meta }) : null,
      ]),
    ]);
  }

  toggled(input) {
    if (input.type !== "checkbox") return;
    if (input.checked) this.selected.set(input.value, input.dataset.name);
    else this.selected.delete(input.value);
    this.updateCount();
  }

  updateCount() {
    const count = this.selected.size;
    this.count.textContent = `${count} selected`;
    this.importButton.disabled = count === 0;
  }

  async importSelected() {
    if (this.selected.size === 0) return;
    this.problem.replaceChildren();
    busy(this.importButton, true, "Importing…");
    const integration = this.cascade.integration.value;
    const result = await api("POST", `boards/${this.context.id}/cards/`, {
      integration,
      external_ids: [...this.selected.keys()],
      container: this.cascade.project.value,
    });
    busy(this.importButton, false);
    if (!result.ok || result.status === 202) {
      renderProblem(this.problem, result, this.context, "picker-error");
      return;
    }
    for (const card of result.data.cards) upsertCard(card, this.context);
    const imported = result.data.cards.length;
    const missing = result.data.missing.length;
    let message = `${imported} card${imported === 1 ? "" : "s"} imported from ${this.context.name(integration)}.`;
    if (missing) message += ` ${missing} task${missing === 1 ? " was" : "s were"} not found or not readable.`;
    this.selected.clear();
    for (const box of this.list.querySelectorAll("input[type=checkbox]")) box.checked = false;
    this.updateCount();
    this.dialog.close();
    flash(message);
  }
}
