def normalise(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for row in rows:
        name = row.get("name", "").strip().lower()
        email = row.get("email", "").strip().lower()
        city = row.get("city", "").strip().title()
        cleaned.append({"name": name, "email": email, "city": city})
    return cleaned
