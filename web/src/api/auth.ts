// Accounts: sign-up, sign-in and the caller's own profile.
import { request } from "./http";
import type { LoginResponse, Me } from "./types";

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
  display_name?: string;
}

export const registerAccount = (input: RegisterInput) =>
  request<Me>("POST", "/api/auth/register", input, { anonymous: true });

/** `login` is the username or the e-mail address. */
export const logIn = (login: string, password: string) =>
  request<LoginResponse>("POST", "/api/auth/login", { login, password }, { anonymous: true });

export const fetchMe = () => request<Me>("GET", "/api/users/me");
