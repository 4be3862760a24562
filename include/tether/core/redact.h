#pragma once

#include <string>
#include <string_view>

namespace tether {

// The one redaction helper: everything that prints a token, key or
// credential prints redact(it) instead. What survives is only what is public
// by design (the key id of a tether API key), never a byte of the secret,
// nor its length.
std::string redact(std::string_view secret);

// Masks, inside free text, anything shaped like a secret: tether API keys
// (tth_<id>_<secret>), "Bearer <token>" and PEM private-key blocks. The
// logger runs every message and string field through it, as a second line
// of defence for secrets that reached a message without redact().
std::string scrub_secrets(std::string_view text);

// Whether one word (a command-line argument, say) may be a secret: shaped
// like one for scrub_secrets, or 20 or more characters of a key alphabet
// (letters, digits, + / = _ - .) mixing letters and digits and not
// starting like a path (/ . ~), as AWS secret
// keys, tokens and passwords are. Errors about arguments leave such words
// out; a long name hidden by mistake costs less than a key on a screen.
bool looks_like_secret(std::string_view word);

}  // namespace tether
