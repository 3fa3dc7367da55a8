// Placeholder until the web app lands (its engineer owns this file): shows that the console is served.
const app = document.getElementById('app');
if (app) app.textContent = 'Console magasin : application web en construction.';
