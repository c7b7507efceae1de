// Vite's own types: imports of CSS files.
/// <reference types="vite/client" />
