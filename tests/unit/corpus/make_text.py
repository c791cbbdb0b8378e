"""Writes the text files of the corpus, byte for byte: `python make_text.py`, then commit.

Kept as a script because the encodings (Windows-1252, UTF-16, BOMs, CRLF) are the point
of several files, and an editor would silently re-encode them.
"""

from pathlib import Path

HERE = Path(__file__).parent


def crlf(text: str) -> str:
    """Windows line ends between records; a line break inside a quoted cell stays LF, as
    Excel writes it."""
    out: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        out.append("\r\n" if char == "\n" and not quoted else char)
    return "".join(out)


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


def bom(text: str) -> bytes:
    return text.encode("utf-8-sig")


def cp1252(text: str) -> bytes:
    return crlf(text).encode("cp1252")


def utf16(text: str) -> bytes:
    """Excel's "Unicode text": UTF-16 little-endian with its BOM, tab-separated."""
    return b"\xff\xfe" + crlf(text).encode("utf-16-le")


PROMPT = "Racontez une conversation où vous avez vraiment écouté.\n\n- Qu'avez-vous remarqué ?"

VALID = {
    "roster.csv": utf8(
        "email,first_name,last_name,circle,team,locale,timezone,role\n"
        "helene.martin@exemple.org,Hélène,Martin,Cercle Été,Équipe Lyon,fr,Europe/Paris,member\n"
        "zoe.dupont@exemple.org,Zoé,Dupont,Cercle Été,Équipe Paris,en,America/Montreal,admin\n"
        "marc.leroy@exemple.org,Marc,Leroy,Cercle Hiver,Équipe Lyon,,,\n"
        "ines.benali@exemple.org,Inès,Benali,,,en,Asia/Tokyo,observer\n"
    ),
    # What Excel in a French locale writes for "CSV (séparateur : point-virgule)".
    "roster_fr.csv": cp1252(
        "Prénom;Nom;Courriel;Cercle;Équipe;Langue;Fuseau horaire;Rôle\n"
        "Hélène;Martin;Helene.Martin@Exemple.org;Cercle Été;Équipe Lyon;français;europe/paris;"
        "membre\n"
        "Zoé;Dupont;zoe.dupont@exemple.org;cercle été;Équipe Paris;anglais;America/Montreal;"
        "administratrice\n"
        "Marc;Leroy;marc.leroy@exemple.org;Cercle Hiver;équipe lyon;;;\n"
        "Inès;Benali;ines.benali@exemple.org;;;en-GB;Asia/Tokyo;observatrice\n"
    ),
    "roster.yaml": utf8(
        "membres:\n"
        "  - courriel: helene.martin@exemple.org\n"
        "    prénom: Hélène\n"
        "    nom: Martin\n"
        "    cercle: Cercle Été\n"
        "    équipe: Équipe Lyon\n"
        "    langue: fr\n"
        "    fuseau: Europe/Paris\n"
        "    rôle: membre\n"
        "  - email: zoe.dupont@exemple.org\n"
        "    first_name: Zoé\n"
        "    last_name: Dupont\n"
        "    circle: Cercle Été\n"
        "    team: Équipe Paris\n"
        "    locale: en\n"
        "    timezone: America/Montreal\n"
        "    role: admin\n"
        "  - email: marc.leroy@exemple.org\n"
        "    first_name: Marc\n"
        "    last_name: Leroy\n"
        "    circle: Cercle Hiver\n"
        "    team: Équipe Lyon\n"
        "  - email: ines.benali@exemple.org\n"
        "    first_name: Inès\n"
        "    last_name: Benali\n"
        "    locale: en\n"
        "    timezone: Asia/Tokyo\n"
        "    role: observer\n"
    ),
    "calendar.csv": utf8(
        "id,send_on,send_at,title,prompt,deadline_days,reminder_days,audience,competency,kind,"
        "points,starts_at,duration_minutes,location\n"
        f'ecoute-active,2027-03-08,,Écoute active,"{PROMPT}",,,all,écoute,practice,,,,\n'
        ",2027-03-15,09:30,Donner du feedback,Quel feedback avez-vous donné cette semaine ?,"
        '5,1,"Cercle Été; Équipe Lyon",feedback,question,15,,,\n'
        "atelier-mars,2027-03-22,08:00,Atelier en direct,Rejoignez l'atelier.,,,Cercle Hiver,,"
        "live,,2027-03-24 14:00,90,Salle Lumière\n"
    ),
    "calendar_fr.csv": cp1252(
        "Identifiant;Date d'envoi;Heure d'envoi;Titre;Consigne;Délai (jours);Rappel (jours);"
        "Destinataires;Compétence;Type;Points;Début;Durée (minutes);Lieu\n"
        f'ecoute-active;08/03/2027;;Écoute active;"{PROMPT}";;;tous;écoute;pratique;;;;\n'
        ";15/03/2027;9h30;Donner du feedback;Quel feedback avez-vous donné cette semaine ?;"
        "5;1;cercle ete, EQUIPE LYON;feedback;question;15;;;\n"
        "atelier-mars;22/03/2027;8h;Atelier en direct;Rejoignez l'atelier.;;;Cercle Hiver;;"
        "session live;;24/03/2027 14h00;90;Salle Lumière\n"
    ),
    "calendar.yaml": utf8(
        "themes:\n"
        "  - id: ecoute-active\n"
        "    send_on: 2027-03-08\n"
        "    title: Écoute active\n"
        "    prompt: |\n"
        "      Racontez une conversation où vous avez vraiment écouté.\n"
        "\n"
        "      - Qu'avez-vous remarqué ?\n"
        "    audience: all\n"
        "    competency: écoute\n"
        "  - send_on: 2027-03-15\n"
        "    send_at: 09:30\n"
        "    title: Donner du feedback\n"
        "    prompt: Quel feedback avez-vous donné cette semaine ?\n"
        "    deadline_days: 5\n"
        "    reminder_days: 1\n"
        "    audience: [Cercle Été, Équipe Lyon]\n"
        "    competency: feedback\n"
        "    kind: question\n"
        "    points: 15\n"
        "  - id: atelier-mars\n"
        "    send_on: 2027-03-22\n"
        "    send_at: 08:00\n"
        "    title: Atelier en direct\n"
        "    prompt: Rejoignez l'atelier.\n"
        "    audience: Cercle Hiver\n"
        "    kind: live\n"
        "    starts_at: 2027-03-24T13:00:00Z\n"
        "    duration_minutes: 90\n"
        "    location: Salle Lumière\n"
    ),
}

MALFORMED = {
    # ------------------------------------------------------------------ roster, text
    "roster_cp1252_semicolon_fr.csv": cp1252(
        "Prénom;Nom;Courriel;Cercle;Équipe;Rôle;Langue\n"
        "Hélène;Martin;helene.martin@exemple.org;Cercle Été;Équipe Lyon;membre;français\n"
        "Zoé;Dupont;Helene.Martin@Exemple.org;Cercle Été;Équipe Paris;chef;allemand\n"
    ),
    "roster_comma_duplicate_email_case.csv": utf8(
        "email,circle,team\n"
        "helene.martin@exemple.org,Cercle Été,Équipe Lyon\n"
        "zoe.dupont@exemple.org,Cercle Été,Équipe Paris\n"
        "HELENE.MARTIN@EXEMPLE.ORG,Cercle Hiver,Équipe Lyon\n"
    ),
    "roster_bom_missing_email.csv": bom(
        "Prénom,Nom,Cercle,Équipe\nHélène,Martin,Cercle Été,Équipe Lyon\n"
    ),
    "roster_utf16_tab_bad_timezones.csv": utf16(
        "email\tcircle\tteam\ttimezone\n"
        "helene.martin@exemple.org\tCercle Été\tÉquipe Lyon\tEurope/Pariss\n"
        "zoe.dupont@exemple.org\tCercle Été\tÉquipe Paris\tParis\n"
        "marc.leroy@exemple.org\tCercle Hiver\tÉquipe Lyon\tamerica/montreal\n"
    ),
    "roster_missing_circle_team_columns.csv": utf8(
        "email,first_name,role\n"
        "helene.martin@exemple.org,Hélène,member\n"
        "ines.benali@exemple.org,Inès,observer\n"
    ),
    "roster_semicolon_missing_circle_team_cells.csv": utf8(
        "email;Circle;Team;role\n"
        "helene.martin@exemple.org;Cercle Été;;member\n"
        "ines.benali@exemple.org;;;observer\n"
        "zoe.dupont@exemple.org;;Équipe Paris;admin\n"
    ),
    "roster_unknown_column.csv": utf8(
        "email,circle,team,manager\nhelene.martin@exemple.org,Cercle Été,Équipe Lyon,Zoé\n"
    ),
    "roster_duplicate_column.csv": utf8(
        "Email,circle,team,Courriel\n"
        "helene.martin@exemple.org,Cercle Été,Équipe Lyon,helene@exemple.org\n"
    ),
    "roster_invalid_locale_role.csv": utf8(
        "email,circle,team,locale,role\n"
        "helene.martin@exemple.org,Cercle Été,Équipe Lyon,de,boss\n"
        "zoe.dupont@exemple.org,Cercle Été,Équipe Paris,fr-CA,Observateur\n"
    ),
    "roster_formulas.csv": utf8(
        "email,first_name,circle,team\n"
        'helene.martin@exemple.org,"=HYPERLINK(""http://evil.example"",""Clic"")",Cercle Été,'
        "Équipe Lyon\n"
        "zoe.dupont@exemple.org,Zoé,@SUM(A1:A9),Équipe Paris\n"
        "marc.leroy@exemple.org,-2+3,Cercle Hiver,+Lyon\n"
    ),
    # The header is row 3: the separator is sniffed from it, not from the empty lines.
    "roster_leading_empty_lines.csv": cp1252(
        "\n\n"
        "Courriel;Cercle;Équipe\n"
        "helene.martin@exemple.org;Cercle Été;Équipe Lyon\n"
        "\n"
        "zoe.dupont@exemple;Cercle Été;Équipe Paris\n"
    ),
    "roster_empty.csv": b"",
    "roster_blank_lines.csv": bom("\r\n   \r\n\r\n"),
    "roster_header_only.csv": utf8("email,circle,team\r\n"),
    "roster_unclosed_quote.csv": utf8(
        "email,first_name,circle,team\n"
        "helene.martin@exemple.org,Hélène,Cercle Été,Équipe Lyon\n"
        'zoe.dupont@exemple.org,"Zoé,Cercle Été,Équipe Paris\n'
        "marc.leroy@exemple.org,Marc,Cercle Hiver,Équipe Lyon\n"
    ),
    "roster_stray_quote.csv": utf8(
        "email,first_name,circle,team\n"
        "zoe.dupont@exemple.org,Zoé,Cercle Été,Équipe Paris\n"
        'helene.martin@exemple.org,"Hélène" M,Cercle Été,Équipe Lyon\n'
    ),
    "roster_values_beyond_header.csv": utf8(
        "email,circle,team\n"
        "helene.martin@exemple.org,Cercle Été,Équipe Lyon\n"
        "zoe.dupont@exemple.org,Cercle Été,Équipe Paris,oops\n"
    ),
    "roster_value_under_empty_header.csv": utf8(
        "email,,circle,team\n"
        "helene.martin@exemple.org,,Cercle Été,Équipe Lyon\n"
        "zoe.dupont@exemple.org,Zoé,Cercle Été,Équipe Paris\n"
    ),
    "roster_invalid_emails.csv": utf8(
        "email,circle,team\n"
        "helene.martin@exemple,Cercle Été,Équipe Lyon\n"
        ",Cercle Été,Équipe Paris\n"
        "zoé@exemple.org,Cercle Hiver,Équipe Lyon\n"
    ),
    "roster_bad_text_values.csv": utf8(
        "email,first_name,circle,team\n"
        "helene.martin@exemple.org,Hélène,Cercle Été; Hiver,Équipe Lyon\n"
        f"zoe.dupont@exemple.org,Zo\x07é,Cercle Été,{'x' * 65}\n"
    ),
    "roster_cp1252_undefined_byte.csv": (
        "email;circle;team\r\nhelene.martin@exemple.org;Cercle Été;".encode("cp1252")
        + b"\x81quipe\r\n"
    ),
    "roster_utf16_without_bom.csv": "email\tcircle\tteam\r\n".encode("utf-16-le"),
    # Names a zoneinfo folder holds that are not timezones (the host's own, IANA's "unset").
    "roster_host_only_timezones.csv": utf8(
        "email,circle,team,timezone\n"
        "helene.martin@exemple.org,Cercle Été,Équipe Lyon,localtime\n"
        "zoe.dupont@exemple.org,Cercle Été,Équipe Paris,posixrules\n"
        "marc.leroy@exemple.org,Cercle Hiver,Équipe Lyon,Factory\n"
        "ines.benali@exemple.org,Cercle Hiver,Équipe Lyon,UTC\n"
    ),
    # Excel writes the separator as a first line and hides it: the header is row 1.
    "roster_excel_separator_line.csv": cp1252(
        "sep=;\n"
        "Courriel;Cercle;Équipe\n"
        "helene.martin@exemple.org;Cercle Été;Équipe Lyon\n"
        "zoe.dupont@exemple;Cercle Été;Équipe Paris\n"
    ),
    "roster_legacy.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
    "roster.json": utf8('[{"email": "helene.martin@exemple.org"}]\n'),
    # ------------------------------------------------------------------ roster, YAML
    "roster_mapping.yaml": utf8(
        "email: helene.martin@exemple.org\ncircle: Cercle Été\nteam: Équipe Lyon\n"
    ),
    "roster_scalar.yaml": utf8("Hélène, Zoé et Marc\n"),
    "roster_nested_values.yaml": utf8(
        "members:\n"
        "  - email: helene.martin@exemple.org\n"
        "    circle:\n"
        "      name: Cercle Été\n"
        "      lead: zoe\n"
        "    team: Équipe Lyon\n"
        "  - email: zoe.dupont@exemple.org\n"
        "    circle: Cercle Été\n"
        "    team: [Équipe Paris, [Équipe Lyon]]\n"
    ),
    "roster_anchors.yaml": utf8(
        "- email: helene.martin@exemple.org\n"
        "  circle: &cercle Cercle Été\n"
        "  team: Équipe Lyon\n"
        "- email: zoe.dupont@exemple.org\n"
        "  circle: *cercle\n"
        "  team: Équipe Paris\n"
    ),
    "roster_entries_not_mappings.yaml": utf8(
        "members:\n"
        "  - helene.martin@exemple.org\n"
        "  - email: zoe.dupont@exemple.org\n"
        "    circle: Cercle Été\n"
        "    team: Équipe Paris\n"
        "  - [marc.leroy@exemple.org, Cercle Hiver]\n"
    ),
    "roster_broken.yaml": utf8(
        "- email: helene.martin@exemple.org\n  circle: Cercle Été\n team: Équipe Lyon\n"
    ),
    "roster_unknown_key.yaml": utf8(
        "- courriel: helene.martin@exemple.org\n"
        "  cercle: Cercle Été\n"
        "  équipe: Équipe Lyon\n"
        "  manager: zoe\n"
    ),
    "roster_latin1.yaml": cp1252("- email: helene.martin@exemple.org\n  circle: Cercle Été\n"),
    "roster_deeply_nested.yaml": utf8("[" * 50_000 + "]" * 50_000),
    # ------------------------------------------------------------------ calendar, text
    "calendar_cp1252_semicolon_fr_dates.csv": cp1252(
        "Date;Heure;Titre;Consigne;Public\n"
        "31/02/2027;9h30;Écoute active;Racontez une écoute réussie.;tous\n"
        "15/02/2027;9h30;Déjà passé;Trop tard.;tous\n"
        "2027/03/10;9h30;Format;Mauvais format.;tous\n"
    ),
    "calendar_missing_required_columns.csv": utf8("heure,public\n09:00,all\n"),
    "calendar_missing_prompt_column.csv": utf8("send_on,title\n2027-03-10,Écoute\n"),
    "calendar_missing_values.csv": utf8(
        "send_on,title,prompt\n"
        "2027-03-10,,Racontez.\n"
        ",Sans date,Racontez.\n"
        "2027-03-12,Sans consigne,\n"
    ),
    "calendar_live_without_start_location.csv": utf8(
        "send_on,title,prompt,kind\n2027-03-10,Atelier,Venez.,live\n"
    ),
    "calendar_live_fields_mismatch.csv": utf8(
        "date,titre,consigne,type,début,lieu\n"
        "2027-03-10,Atelier,Venez.,pratique,2027-03-11 14:00,Salle 2\n"
        "2027-03-12,Atelier 2,Venez.,live,2027-03-11 14:00,Salle 2\n"
    ),
    "calendar_bad_offset.csv": utf8(
        "send_on,title,prompt,kind,starts_at,location\n"
        "2027-03-10,Atelier,Venez.,live,2027-03-11 14:00+25:00,Salle 2\n"
        "2027-03-12,Atelier 2,Venez.,live,2027-03-13 14:00+01:99,Salle 2\n"
    ),
    "calendar_reminder_not_before_deadline.csv": utf8(
        "send_on,title,prompt,deadline_days,reminder_days\n"
        "2027-03-10,Un,Racontez.,3,3\n"
        "2027-03-11,Deux,Racontez.,2,5\n"
        "2027-03-12,Trois,Racontez.,5,1\n"
    ),
    "calendar_unknown_audience.csv": utf8(
        "send_on,title,prompt,audience\n"
        '2027-03-10,Un,Racontez.,"Cercle Été; Marketing"\n'
        "2027-03-11,Deux,Racontez.,cercle ete\n"
    ),
    "calendar_formulas.csv": utf8(
        "send_on,title,prompt\n"
        '2027-03-10,"=HYPERLINK(""http://evil.example"",""Cliquez"")",Racontez.\n'
        "2027-03-11,Deux,@SUM(1+1)*cmd|' /C calc'!A0\n"
    ),
    "calendar_utf16_tab_bad_times_numbers.csv": utf16(
        "send_on\tsend_at\ttitle\tprompt\tdeadline_days\tpoints\n"
        "2027-03-10\t25:00\tUn\tRacontez.\t0\t10\n"
        "2027-03-11\tmidi\tDeux\tRacontez.\t7\tbeaucoup\n"
    ),
    "calendar_bad_and_duplicate_ids.csv": utf8(
        "id,send_on,title,prompt\n"
        "Écoute Active,2027-03-10,Un,Racontez.\n"
        ",2027-03-11,Deux,Racontez.\n"
        ",2027-03-11,Deux,Encore.\n"
        "deux,2027-03-12,Trois,Racontez.\n"
        "deux,2027-03-13,Quatre,Racontez.\n"
    ),
    # A cell over three lines is still one row of the sheet: the next one is row 3.
    "calendar_multiline_prompt.csv": utf8(
        "send_on,title,prompt\n"
        '2027-03-10,Écoute,"Racontez.\n\n- Qu\'avez-vous remarqué ?"\n'
        "31/02/2027,Deux,Racontez.\n"
    ),
    "calendar_unknown_kind.csv": utf8(
        "send_on,title,prompt,kind\n2027-03-10,Un,Racontez.,webinaire\n"
    ),
    "calendar_header_only.csv": utf8("send_on;title;prompt\n"),
    # ------------------------------------------------------------------ calendar, YAML
    "calendar_comment_only.yaml": utf8("# le calendrier viendra plus tard\n"),
    "calendar_nested_mappings.yaml": utf8(
        "themes:\n  ecoute:\n    send_on: 2027-03-10\n    title: Écoute\n    prompt: Racontez.\n"
    ),
    "calendar_aliases.yaml": utf8(
        "- send_on: 2027-03-10\n"
        "  title: &titre Écoute\n"
        "  prompt: &consigne Racontez.\n"
        "- send_on: 2027-03-11\n"
        "  title: *titre\n"
        "  prompt: *consigne\n"
    ),
    "calendar_wrong_values.yaml": utf8(
        "themes:\n"
        "  - send_on: 2027-03-10\n"
        "    title: Écoute\n"
        "    prompt: Racontez.\n"
        "    audience: [Cercle Été, {team: Équipe Lyon}]\n"
    ),
    "calendar_lists_for_values.yaml": utf8(
        "themes:\n"
        "  - send_on: 2027-03-10\n"
        "    title: [Écoute, Feedback]\n"
        "    prompt: Racontez.\n"
        "    points: [1, 2]\n"
    ),
}


def main() -> None:
    for folder, files in (("valid", VALID), ("malformed", MALFORMED)):
        (HERE / folder).mkdir(exist_ok=True)
        for name, data in files.items():
            (HERE / folder / name).write_bytes(data)


if __name__ == "__main__":
    main()
