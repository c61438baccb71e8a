import { mount } from 'svelte'
import App from './App.svelte'
import './app.css'

const theme = localStorage.getItem('plinth.admin.theme')
if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme

mount(App, { target: document.getElementById('app')! })
