'use strict';
// The VS Code extension: one `hrn lsp --stdio` per window, spoken to through vscode-languageclient
// (bundled into the .vsix by editors/vscode/pack.mjs, so the extension installs without
// node_modules). The server does the work; this only says how to start it.

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

const SECTION = 'hrn.server';
/** @type {LanguageClient | undefined} */
let client;

/** The server's command line as the settings give it (`hrn lsp --stdio` by default). */
function serverExecutable() {
  const config = vscode.workspace.getConfiguration(SECTION);
  const folder = vscode.workspace.workspaceFolders?.[0];
  return {
    command: config.get('command', 'hrn'),
    args: config.get('args', ['lsp', '--stdio']),
    // An npm-installed `hrn` on Windows is a .cmd script, which only a shell runs.
    options: { cwd: folder?.uri.fsPath, shell: process.platform === 'win32' },
  };
}

async function start() {
  const executable = serverExecutable();
  client = new LanguageClient('hrn', 'hrn language server', { run: executable, debug: executable }, {
    documentSelector: [{ language: 'hrn' }],
  });
  try {
    await client.start();
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`hrn: cannot start the language server '${executable.command}': ${reason}. Set hrn.server.command to the path of hrn.`);
  }
}

async function stop() {
  const running = client;
  client = undefined;
  if (running !== undefined) await running.stop().catch(() => undefined);
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('hrn.restartServer', async () => {
      await stop();
      await start();
    }),
    // A new command or new arguments take effect without reloading the window.
    vscode.workspace.onDidChangeConfiguration(async (change) => {
      if (!change.affectsConfiguration(SECTION)) return;
      await stop();
      await start();
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
