"""Arabic given names and their common Latin spellings: one name, many ways to write it.

Arabic writes a name once; Latin writes it as each romanisation, each country and each clerk
hears it. "حسين" is Husayn (the Library of Congress and BGN/PCGN systems), Hussein (English
press, Iraq, Jordan), Husain and Hussain (South Asia), Hossein (Persian) and Houssein (French);
the SDN list itself writes HUSSEIN for some persons and HUSAYN for others. Their vowels
differ by more than the one edit the matcher forgives, and their consonants ("hsn") are too few
to match by alone: "Hasan" (حسن), another name, has the same. So screeners compare given names
through a table of variants (what screening products call a given-name map or name-variant
dictionary; OpenSanctions' rigour tags them with one Wikidata name item per name). This is that
table for the Arabic names most common on the sanctions lists.

Source: the groups follow rigour 2.6's person-name corpus (OpenSanctions, from Wikidata given-name
items), which puts e.g. Husayn, Hussein, Husain and Hussain under one item; where that corpus
splits one Arabic name (Hamid and Hameed, Yusuf and Youssef, Qasim and Kassem) or lacks a
spelling, the groups add the forms of the standard romanisations (ALA-LC, BGN/PCGN, the French
transcription of the Maghreb, the Persian and South Asian forms) that the UN and OFAC SDN
samples in configs/lists use. Every spelling here is either grouped so by rigour or written on
those lists (a check run when the table was made, 2026-11-30). One line is one name as written in
Arabic script: names that differ in Arabic (حسن Hasan and حسين Husayn, سعيد Said and سيد Sayyid,
صلاح Salah and صالح Salih, محمد Muhammad and محمود Mahmud) are separate lines, never merged, since
that would make two different people one. Translations (Yusuf and Joseph, Ibrahim and Abraham)
are not spellings and are left out. Spellings are written folded (lower case ASCII letters, as
names.fold_name gives them).

The patronymic particle is one such line too: "son of", ابن, is written "ibn" and, contracted
(بن), "bin", and the Maghreb writes it "ben" ("BEN ALI"). Lists and parties swap them freely:
"Usama ibn Ladin" for the SDN's "BIN LADIN, Usama" (names9 probe: 22 of 27 listed names with
bin or ibn missed written the other way, 21 of 30 written "ben"). "bint" (daughter of) is
another word and stays apart. "Ben" is also an English given name; it matches only where the
rest of the name does ("Ben Laden" is BIN LADEN).
"""

from __future__ import annotations

# One line per name: its spellings, the first naming the group. Keep a spelling on one line only.
_GIVEN_NAMES_TEXT = """
    muhammad mohammed mohamed mohammad muhammed mohamad muhamad mohd
    ahmad ahmed ahmd
    mahmud mahmoud mahmood mehmood
    hamid hameed hamed
    husayn hussein husain hussain hossein hosein husein hussayn hossain houssein
    hasan hassan hassen
    yusuf yousef youssef yusef yousif yousuf yusif youcef
    usama osama oussama usamah osamah
    qasim kassem qassem qasem kasim kassim qassim ghasem
    khalid khaled
    abdullah abdallah abdulla abdalla abdellah abdollah abdulah
    abdul abdel abdal abdol abdoul
    abdulrahman abdurrahman abdelrahman abdalrahman abderrahmane
    abdulaziz abdelaziz abdalaziz abdulazeez
    abdulqadir abdulkadir abdelkader abdulqader
    abdulkarim abdelkarim abdulkareem
    abdulmalik abdelmalek
    mustafa mostafa mustapha moustafa
    umar omar omer
    uthman usman osman othman
    ibrahim ebrahim ibraheem
    ismail esmail ismael esmaeil
    jafar jaafar jaffar
    said saeed saeid saied
    sayyid sayed syed seyed sayyed
    nasir nasser naser nacer
    rashid rasheed rachid rashed
    hamza hamzah hamzeh
    yahya yehia yahia yehya
    jamal gamal djamel jamel
    salih saleh
    tariq tarek tarik tareq
    walid waleed oualid
    majid majeed
    karim kareem
    faisal faysal faycal
    zakariya zakaria zakarya
    sulayman sulaiman suleiman soliman
    musa moussa mousa mussa
    isa issa eisa
    ali aly
    abu abou
    ibn bin ben
    abubakar abubaker
    ayyub ayoub ayub
    yunus younes younis yunis
    idris idriss
    ilyas ilias
    hudhayfah huzaifa
    zubayr zubair
    haji hajji hadji
    muammar moammar muamar
    nur noor nour
    mansur mansour mansoor
    mahdi mehdi
    ayman aiman
    adil adel
    amin ameen amine
    bashir basheer bachir
    hakim hakeem
    khalil khaleel
    munir mounir muneer
    nabil nabeel
    rahim raheem
    rauf raouf
    sharif cherif
    tahir taher
    yasin yassin yaseen yassine
    yasir yasser yaser
    hisham hicham
    hafiz hafez
    qadir qader kader
    ghulam gholam
    muhsin mohsen
    murtada murtaza morteza mortaza
    rida ridha redha reza
    jawad javad
    jalil jaleel
    aishah aisha ayesha
    khadijah khadija khadidja
    maryam mariam
    zaynab zainab zeinab
"""

#: Per spelling, the name it spells (the first spelling of its line).
GIVEN_NAME_OF: dict[str, str] = {
    spelling: line.split()[0]
    for line in _GIVEN_NAMES_TEXT.strip().splitlines()
    for spelling in line.split()
}


def given_name(token: str) -> str | None:
    """The Arabic given name a folded token spells ("hussein" and "husayn" give "husayn"), or
    None when the token is none of the table's spellings."""
    return GIVEN_NAME_OF.get(token)


#: The first word of an "Abd al-" name ("servant of" a name of God) as written alone or in two:
#: "Abd al-Latif", "Abdul Latif", "Abdel Latif". With the word after it, one given name.
#: "bd" is "عبد" read from Arabic script, without its vowel (names.NAME_PARTICLES).
ABD_WORDS = frozenset(
    {"abd", "bd", *(spelling for spelling, name in GIVEN_NAME_OF.items() if name == "abdul")}
)
